// Config problems carry file, line, column and the key path, so every message points somewhere.
import type { z } from "zod";

export type KeyPath = readonly (string | number)[];

export interface ConfigProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: KeyPath;
  readonly message: string;
  /** The source's name says the key already (`--set processors::throttle::window`): not repeated. */
  readonly keyInSource?: boolean;
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/**
 * `pipeline.yaml:14:5 processors.throttle.max_per_window: expected a positive integer, got "ten"`;
 * from a flag: `--set processors::throttle::max_per_window: expected a positive integer, got "ten"`.
 */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  if (p.keyInSource || p.path.length === 0)
    return `${where}${p.file.startsWith("--") ? ":" : ""} ${p.message}`;
  return `${where} ${formatPath(p.path)}: ${p.message}`;
}

export function formatPath(path: KeyPath): string {
  let out = "";
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : out === "" ? seg : `.${seg}`;
  return out;
}

/** A readable message for one zod issue; schema-authored messages are kept as written. */
export function describeIssue(issue: z.core.$ZodIssue, value: unknown, hasValue: boolean): string {
  const got = hasValue ? `, got ${preview(value)}` : "";
  const authored =
    issue.message && !issue.message.startsWith("Invalid input") && !issue.message.startsWith("Too ");
  switch (issue.code) {
    case "invalid_type":
      if (!hasValue) return authored ? issue.message : `required (expected ${issue.expected})`;
      return `${authored ? issue.message : `expected ${article(issue.expected)}`}${got}`;
    case "too_small":
    case "too_big":
    case "invalid_format":
    case "not_multiple_of":
      return `${issue.message}${got}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}${got}`;
    case "invalid_union":
      return `${authored ? issue.message : "does not match any allowed form"}${got}`;
    default:
      return `${issue.message}${got}`;
  }
}

function article(expected: string): string {
  if (expected === "object") return "a mapping";
  if (expected === "array") return "a list";
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function preview(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
