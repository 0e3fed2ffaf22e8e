// Where a config value was written and which environment variables it came from, so every problem
// (schema, validate, or a component failing at create/start) points at file:line and names them.
import type { Document, LineCounter } from "yaml";
import { type ConfigProblem, formatPath, type KeyPath } from "./errors.ts";
import { locate } from "./locate.ts";
import type { EnvOrigins } from "./substitute.ts";

export interface ProblemOptions {
  /** Other keys the message is about: their variables are named too. Relative to `base`. */
  readonly related?: readonly KeyPath[];
  /** The path prefix `related` is relative to (the component's section and id). */
  readonly base?: KeyPath;
  /** Point at the key rather than its value (unknown keys). */
  readonly atKey?: boolean;
}

export class ConfigSources {
  readonly file: string;
  private readonly doc: Document;
  private readonly lines: LineCounter;
  private readonly origins: EnvOrigins;
  /** Value nodes already reported (an unset variable, a malformed reference): not reported again. */
  private readonly reported: ReadonlySet<unknown>;

  constructor(
    file: string,
    doc: Document,
    lines: LineCounter,
    origins: EnvOrigins,
    reported: ReadonlySet<unknown>,
  ) {
    this.file = file;
    this.doc = doc;
    this.lines = lines;
    this.origins = origins;
    this.reported = reported;
  }

  /** The environment variables the value at `path` was substituted from (none when literal). */
  variables(path: KeyPath): readonly string[] {
    const node = this.doc.getIn(path, true);
    return (node ? this.origins.get(node as never) : undefined) ?? [];
  }

  /** True when the value at `path` already has a problem of its own (its variable is unset…). */
  alreadyReported(path: KeyPath): boolean {
    const node = this.doc.getIn(path, true);
    return node !== undefined && this.reported.has(node);
  }

  /** A problem at `path`, its message followed by the variables the values came from. */
  problem(path: KeyPath, message: string, options: ProblemOptions = {}): ConfigProblem {
    const { line, column } = locate(this.doc, this.lines, path, options.atKey);
    // A problem with the key itself (unknown, misnamed) is not about where its value came from.
    if (options.atKey) return { file: this.file, line, column, path, message };
    const base = options.base ?? [];
    const sources = [
      ...fromVariables("from", this.variables(path)),
      ...(options.related ?? []).flatMap((rel) =>
        fromVariables(`${formatPath(rel)} from`, this.variables([...base, ...rel])),
      ),
    ];
    const suffix = sources.length > 0 ? ` (${sources.join("; ")})` : "";
    return { file: this.file, line, column, path, message: `${message}${suffix}` };
  }
}

function fromVariables(label: string, vars: readonly string[]): string[] {
  return vars.length > 0 ? [`${label} ${vars.map((v) => `\${env:${v}}`).join(", ")}`] : [];
}
