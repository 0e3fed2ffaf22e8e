// `${env:VAR}`, `${env:VAR:-default}` and `${env:VAR:+alternative}` (the alternative when VAR is
// set and not empty, else nothing) substitution on YAML scalars, keeping node positions. `$${` is a
// literal `${`; any other `${` is a malformed reference and an error naming its variable.
import { type Document, isPair, isScalar, parse as parseYaml, type Scalar, visit } from "yaml";
import { looksSecretName } from "../secrets.ts";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HINT = 'write $${ for a literal "${"';

interface Reference {
  readonly name: string;
  readonly operator?: "-" | "+";
  readonly operand?: string;
}

type Token = { readonly text: string } | { readonly reference: Reference; readonly source: string };

/** The scalar split into literal text and references, or the first malformed reference's message. */
function tokenize(text: string, secret: boolean): Token[] | { problem: string } {
  const tokens: Token[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("$${", i)) {
      literal += "${";
      i += 3;
      continue;
    }
    if (!text.startsWith("${", i)) {
      literal += text[i];
      i++;
      continue;
    }
    const end = text.indexOf("}", i + 2);
    const body = end < 0 ? text.slice(i + 2) : text.slice(i + 2, end);
    if (end < 0) return { problem: unclosed(body) };
    const parsed = parseReference(body, secret);
    if ("problem" in parsed) return parsed;
    if (literal) tokens.push({ text: literal });
    literal = "";
    tokens.push({ reference: parsed, source: text.slice(i, end + 1) });
    i = end + 1;
  }
  if (literal || tokens.length === 0) tokens.push({ text: literal });
  return tokens;
}

function unclosed(body: string): string {
  const name = /^(?:env:)?([A-Za-z_][A-Za-z0-9_]*)/.exec(body)?.[1];
  return name
    ? `unclosed reference to ${name}: "\${${body.startsWith("env:") ? "env:" : ""}${name}" has no closing "}"`
    : `unclosed "\${" (${HINT})`;
}

/** The body between `${` and `}`. */
function parseReference(body: string, secret: boolean): Reference | { problem: string } {
  const provider = /^([A-Za-z][A-Za-z0-9_.-]*):/.exec(body);
  if (provider?.[1] !== "env") {
    const bare = /^([A-Za-z_][A-Za-z0-9_]*)(:[-+].*)?$/.exec(body);
    if (bare?.[1] && (!provider || bare[2]))
      return {
        problem: `reference to ${bare[1]} lacks the "env:" prefix: write \${env:${bare[1]}${shownOperand(bare[2] ?? "", secret)}}`,
      };
    if (provider)
      return {
        problem: `unsupported reference provider "${provider[1]}:": only \${env:VAR} is read (${HINT})`,
      };
    return {
      problem: `malformed reference "\${${secret ? "…" : body}}": expected \${env:VAR}, \${env:VAR:-default} or \${env:VAR:+alternative} (${HINT})`,
    };
  }
  const rest = body.slice(4);
  const colon = rest.indexOf(":");
  const name = colon < 0 ? rest : rest.slice(0, colon);
  if (!NAME.test(name))
    return {
      problem: `malformed reference "\${env:${name}…}": a variable name is letters, digits and _, not starting with a digit`,
    };
  if (colon < 0) return { name };
  const operator = rest[colon + 1];
  const operand = rest.slice(colon + 2);
  if (operator === "-" || operator === "+") return { name, operator, operand };
  const written = secret ? "…" : rest.slice(colon + 1);
  return {
    problem: `malformed reference to ${name}: ":${written}" is neither ":-default" nor ":+alternative" (write \${env:${name}:-${written}} for a default)`,
  };
}

function shownOperand(suffix: string, secret: boolean): string {
  return secret && suffix ? `${suffix.slice(0, 2)}…` : suffix;
}

/** The value of one reference, or undefined when it is unset with no default. */
function resolveReference(
  env: Readonly<Record<string, string | undefined>>,
  ref: Reference,
): string | undefined {
  const value = env[ref.name];
  if (ref.operator === "+") return value ? (ref.operand ?? "") : "";
  return value ?? (ref.operator === "-" ? ref.operand : undefined);
}

export interface SubstitutionProblem {
  readonly node: Scalar;
  readonly message: string;
}

/** Scalars whose value came from the environment, with the variable names, for error messages. */
export type EnvOrigins = Map<Scalar, readonly string[]>;
/** The text a whole-scalar reference substituted, for a string field that got a number or boolean. */
export type EnvTexts = Map<Scalar, string>;

/**
 * Replace env references in every string scalar of the document, in place.
 * A scalar that is exactly one reference takes the YAML type of the value (so "10" is a number),
 * as the OpenTelemetry Collector does; references inside longer strings interpolate as text.
 */
export function substituteEnv(
  doc: Document,
  env: Readonly<Record<string, string | undefined>>,
): { problems: SubstitutionProblem[]; origins: EnvOrigins; texts: EnvTexts } {
  const problems: SubstitutionProblem[] = [];
  const origins: EnvOrigins = new Map();
  const texts: EnvTexts = new Map();
  visit(doc, {
    Scalar(role, node, path) {
      if (typeof node.value !== "string" || !node.value.includes("${")) return;
      const parent = path.at(-1);
      const key = role === "value" && isPair(parent) && isScalar(parent.key) ? String(parent.key.value) : "";
      const tokens = tokenize(node.value, looksSecretName(key));
      if ("problem" in tokens) {
        problems.push({ node, message: tokens.problem });
        return;
      }
      const names = tokens.flatMap((t) => ("reference" in t ? [t.reference.name] : []));
      if (names.length > 0) origins.set(node, names);
      let unset = false;
      const parts = tokens.map((t) => {
        if ("text" in t) return t.text;
        const value = resolveReference(env, t.reference);
        if (value !== undefined) return value;
        problems.push({
          node,
          message: `environment variable ${t.reference.name} is not set and has no default`,
        });
        unset = true;
        return "";
      });
      if (unset) return;
      const [only] = tokens;
      if (tokens.length === 1 && only && "reference" in only) {
        node.value = typedScalar(parts[0] ?? "");
        texts.set(node, parts[0] ?? "");
      } else {
        node.value = parts.join("");
      }
    },
  });
  return { problems, origins, texts };
}

/** A whole-scalar substitution is read as YAML: numbers, booleans and null keep their type. */
function typedScalar(value: string): unknown {
  if (value.trim() === "") return value;
  try {
    const parsed: unknown = parseYaml(value);
    return parsed === null || typeof parsed === "object" ? value : parsed;
  } catch {
    return value;
  }
}
