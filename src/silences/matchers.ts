// Label matchers in Alertmanager's model ({name, value, isRegex, isEqual}) and its text syntax
// (`name="value"`, `name!=value`, `name=~"re.*"`, `name!~re`, a `{…}` list). Names are compared in
// Prometheus form, so `service.name` and `service_name` name the same label.
import { type LabelSet, promLabelName } from "./labels.ts";

export interface Matcher {
  readonly name: string;
  readonly value: string;
  readonly isRegex: boolean;
  /** False negates the match (`!=`, `!~`). */
  readonly isEqual: boolean;
}

export type MatchOperator = "=" | "!=" | "=~" | "!~";

export function operatorOf(m: Matcher): MatchOperator {
  if (m.isRegex) return m.isEqual ? "=~" : "!~";
  return m.isEqual ? "=" : "!=";
}

/** `name="value"` with the value quoted as Alertmanager prints it. */
export function matcherText(m: Matcher): string {
  return `${m.name}${operatorOf(m)}${JSON.stringify(m.value)}`;
}

export class MatcherSyntaxError extends Error {
  override readonly name = "MatcherSyntaxError";
}

const OPERATORS: readonly MatchOperator[] = ["=~", "!~", "!=", "="];
const regexCache = new Map<string, RegExp>();

/** The matcher's anchored regular expression (Alertmanager anchors: the whole value must match). */
export function matcherRegex(value: string): RegExp {
  let re = regexCache.get(value);
  if (!re) {
    re = new RegExp(`^(?:${value})$`);
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(value, re);
  }
  return re;
}

/** Why a matcher is unusable (bad name, bad regex), or undefined. */
export function matcherProblem(m: Matcher): string | undefined {
  if (m.name.trim() === "") return "label name must not be empty";
  if (!m.isRegex) return undefined;
  try {
    matcherRegex(m.value);
    return undefined;
  } catch (error) {
    return `invalid regular expression ${JSON.stringify(m.value)}: ${(error as Error).message}`;
  }
}

/** Does the label set satisfy the matcher? A missing label reads as the empty string. */
export function matches(m: Matcher, labels: LabelSet): boolean {
  const actual = labels[promLabelName(m.name)] ?? "";
  const hit = m.isRegex ? matcherRegex(m.value).test(actual) : actual === m.value;
  return hit === m.isEqual;
}

export function matchesAll(matchers: readonly Matcher[], labels: LabelSet): boolean {
  for (const m of matchers) if (!matches(m, labels)) return false;
  return true;
}

function unquote(text: string, at: string): string {
  try {
    return JSON.parse(text) as string;
  } catch {
    throw new MatcherSyntaxError(`bad quoted value ${text} in ${JSON.stringify(at)}`);
  }
}

/** One matcher: `name op value`, the value quoted or bare, the name bare or quoted. */
export function parseMatcher(text: string): Matcher {
  const source = text.trim();
  let rest = source;
  let name: string;
  const quotedName = /^"(?:[^"\\]|\\.)*"/.exec(rest);
  if (quotedName) {
    name = unquote(quotedName[0], source);
    rest = rest.slice(quotedName[0].length).trimStart();
  } else {
    const bare = /^[^=!~"\s,{}]+/.exec(rest);
    if (!bare) throw new MatcherSyntaxError(`expected a label name in ${JSON.stringify(source)}`);
    name = bare[0];
    rest = rest.slice(bare[0].length).trimStart();
  }
  const op = OPERATORS.find((o) => rest.startsWith(o));
  if (!op)
    throw new MatcherSyntaxError(`expected =, !=, =~ or !~ after "${name}" in ${JSON.stringify(source)}`);
  const raw = rest.slice(op.length).trim();
  const value = raw.startsWith('"') ? unquote(raw, source) : raw;
  const matcher: Matcher = { name, value, isRegex: op.endsWith("~"), isEqual: !op.startsWith("!") };
  const problem = matcherProblem(matcher);
  if (problem) throw new MatcherSyntaxError(`${problem} in ${JSON.stringify(source)}`);
  return matcher;
}

/** Split a `{a="1", b=~"x,y"}` list (or a bare comma list) on the commas outside quotes. */
function splitList(text: string): string[] {
  let body = text.trim();
  if (body.startsWith("{")) {
    if (!body.endsWith("}")) throw new MatcherSyntaxError(`missing } in ${JSON.stringify(text)}`);
    body = body.slice(1, -1);
  }
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (quoted && c === "\\") {
      current += c + (body[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === "," && !quoted) {
      parts.push(current);
      current = "";
    } else current += c;
  }
  if (quoted) throw new MatcherSyntaxError(`unterminated quote in ${JSON.stringify(text)}`);
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

/** Matchers from filter strings as clients send them: each one matcher, or a `{…}` list. */
export function parseMatchers(texts: readonly string[]): Matcher[] {
  return texts.flatMap((t) => splitList(t).map(parseMatcher));
}
