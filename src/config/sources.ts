// Where a config value was written and which environment variables it came from, so every problem
// (schema, validate, or a component failing at create/start) points at file:line and names them.
// With several `--config` files and `--set` flags, each value names the source it came from.
import type { Document } from "yaml";
import { type ConfigProblem, formatPath, type KeyPath } from "./errors.ts";
import type { ConfigSource } from "./inputs.ts";
import { locateNode, position } from "./locate.ts";
import type { MergedSources } from "./merge.ts";
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
  private readonly doc: Document;
  private readonly merged: MergedSources;
  private readonly origins: EnvOrigins;
  /** Value nodes already reported (an unset variable, a malformed reference): not reported again. */
  private readonly reported: ReadonlySet<unknown>;

  constructor(doc: Document, merged: MergedSources, origins: EnvOrigins, reported: ReadonlySet<unknown>) {
    this.doc = doc;
    this.merged = merged;
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

  /** The source a path's value (or, with atKey, its key) was written in. */
  sourceAt(path: KeyPath, atKey = false): ConfigSource | undefined {
    return this.merged.sourceOf(locateNode(this.doc, path, atKey).holder);
  }

  /** A problem at a node (an env reference's scalar), in the source it was written in. */
  problemAtNode(node: { range?: readonly number[] | null }, path: KeyPath, message: string): ConfigProblem {
    return this.placed(this.merged.sourceOf(node), node.range?.[0] ?? 0, path, message);
  }

  /** A problem at `path`, its message followed by the variables the values came from. */
  problem(path: KeyPath, message: string, options: ProblemOptions = {}): ConfigProblem {
    const at = locateNode(this.doc, path, options.atKey);
    const source = this.merged.sourceOf(at.holder);
    // A problem with the key itself (unknown, misnamed) is not about where its value came from.
    if (options.atKey) return this.placed(source, at.offset, path, message);
    const base = options.base ?? [];
    const sources = [
      ...fromVariables("from", this.variables(path)),
      ...(options.related ?? []).flatMap((rel) =>
        fromVariables(`${formatPath(rel)} from`, this.variables([...base, ...rel])),
      ),
    ];
    const suffix = sources.length > 0 ? ` (${sources.join("; ")})` : "";
    return this.placed(source, at.offset, path, `${message}${suffix}`);
  }

  private placed(
    source: ConfigSource | undefined,
    offset: number,
    path: KeyPath,
    message: string,
  ): ConfigProblem {
    const from = source ?? this.merged.sources.at(-1);
    const { line, column } = from?.lines ? position(from.lines, offset) : { line: 0, column: 0 };
    // `--set a::b=…` with a problem at a.b: the flag names the key already.
    const named = from?.setPath !== undefined && formatPath(from.setPath) === formatPath(path);
    return { file: from?.label ?? "", line, column, path, message, ...(named ? { keyInSource: true } : {}) };
  }
}

function fromVariables(label: string, vars: readonly string[]): string[] {
  return vars.length > 0 ? [`${label} ${vars.map((v) => `\${env:${v}}`).join(", ")}`] : [];
}
