// Where a config comes from, as the OpenTelemetry Collector takes it: `--config` (repeatable: a
// file path or `file:PATH`, `env:VAR` for YAML in a variable, `yaml:…` inline; later ones override
// earlier ones key by key) and `--set key::path=value` (applied last, in order). Each is parsed with
// positions and becomes one YAML document; merge.ts joins them.
import { readFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, relative, resolve } from "node:path";
import {
  Document,
  isMap,
  isScalar,
  LineCounter,
  type Node,
  Pair,
  parseDocument,
  Scalar,
  YAMLMap,
} from "yaml";
import type { ConfigProblem } from "./errors.ts";
import { expandKeyPaths } from "./merge.ts";

/** One parsed piece of configuration. */
export interface ConfigSource {
  /** What problems name: the file (`pipeline.yaml`), or the flag (`--set processors::throttle::window`). */
  readonly label: string;
  readonly doc: Document;
  /** Positions in its text; absent for a `--set` (its problems name the flag, not a line). */
  readonly lines?: LineCounter;
  /** Where relative paths written in it resolve (a file's directory; the working directory else). */
  readonly dir: string;
  /** The file read, for the API's `config.original`. */
  readonly path?: string;
  /** The text as written (a `--set`: its key only, values may be secrets). */
  readonly text: string;
  /** A `--set`: the key path it sets (its problems at that path name just the flag). */
  readonly setPath?: readonly string[];
}

export type SourcesResult = { ok: true; sources: ConfigSource[] } | { ok: false; problems: ConfigProblem[] };

export interface ConfigInputs {
  /** `--config` values, in order. */
  readonly configs: readonly string[];
  /** `--set` values, in order. */
  readonly sets?: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
}

const PROVIDER = /^([A-Za-z][A-Za-z0-9+.-]+):(.*)$/s;

/** Every `--config` read and parsed, then every `--set`; all problems, or the sources in order. */
export async function readConfigSources(inputs: ConfigInputs): Promise<SourcesResult> {
  const cwd = inputs.cwd ?? process.cwd();
  const problems: ConfigProblem[] = [];
  const sources: ConfigSource[] = [];
  const files = inputs.configs.map((c) => providerOf(c));
  const labels = fileLabels(
    files.flatMap((f) => (f.scheme === "file" ? [resolve(cwd, f.rest)] : [])),
    cwd,
  );
  for (const { scheme, rest } of files) {
    if (scheme === "file") {
      const path = resolve(cwd, rest);
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const reason = code === "ENOENT" ? "file not found" : (err as Error).message;
        problems.push({ file: labels.get(path) ?? path, line: 0, column: 0, path: [], message: reason });
        continue;
      }
      const source = parseSource(text, labels.get(path) ?? path, dirname(path), path);
      if ("problem" in source) problems.push(source.problem);
      else sources.push(source);
    } else if (scheme === "env" || scheme === "yaml") {
      const label = scheme === "env" ? `--config env:${rest}` : "--config yaml";
      const text = scheme === "env" ? inputs.env[rest] : rest;
      if (text === undefined) {
        problems.push(flagProblem(label, `environment variable ${rest} is not set`));
        continue;
      }
      const source = parseSource(text, label, cwd);
      if ("problem" in source) problems.push(source.problem);
      else {
        source.doc.contents = expandKeyPaths(source.doc.contents) as typeof source.doc.contents;
        sources.push(source);
      }
    } else {
      problems.push(
        flagProblem(
          "--config",
          `unsupported config provider "${scheme}:" (give a file path, file:PATH, env:VAR or yaml:…)`,
        ),
      );
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, sources };
}

/** A `--set key=value` as a document of its own (nested maps down to the value), or its problem. */
export function setSource(
  flag: string,
  resolvePath: (key: string) => string[] | { problem: string },
  cwd = process.cwd(),
): ConfigSource | { problem: ConfigProblem } {
  const eq = flag.indexOf("=");
  const key = eq < 0 ? flag : flag.slice(0, eq);
  const label = `--set ${key}`;
  if (eq < 0)
    return { problem: flagProblem(label, "expected key=value (e.g. processors::throttle::window=60s)") };
  if (key.trim() === "") return { problem: flagProblem("--set", "expected key=value: the key is empty") };
  const path = resolvePath(key.trim());
  if ("problem" in path) return { problem: flagProblem(label, path.problem) };
  const valueDoc = parseDocument(flag.slice(eq + 1), { uniqueKeys: true });
  const [syntax] = valueDoc.errors;
  if (syntax) return { problem: flagProblem(label, `value is not YAML: ${syntax.message.split("\n")[0]}`) };
  let node: unknown = expandKeyPaths(valueDoc.contents) ?? new Scalar(null);
  for (const segment of [...path].reverse()) {
    const map = new YAMLMap();
    map.items.push(new Pair(new Scalar(segment), node));
    node = map;
  }
  const doc = new Document();
  doc.contents = node as Node;
  return { label, doc, dir: cwd, text: label, setPath: path };
}

/**
 * A `--set` key as a path: `a::b::c` (the Collector's form) splits at `::` only; a dotted `a.b.c`
 * follows the keys that exist (`where.system.memory.state` finds the key `system.memory.state`)
 * and splits new ones at every dot. Two existing keys that both fit are ambiguous: write `::`.
 */
export function resolveSetKey(key: string, root: unknown): string[] | { problem: string } {
  const colon = key.includes("::");
  const parts = colon ? key.split("::") : key.split(".");
  if (parts.some((p) => p.trim() === ""))
    return { problem: `"${key}" has an empty key in it (write a::b::c, e.g. processors::throttle::window)` };
  if (colon) return parts.map((p) => p.trim());
  const path: string[] = [];
  let node = root;
  let i = 0;
  while (i < parts.length) {
    const matches: { key: string; next: number; value: unknown }[] = [];
    if (isMap(node)) {
      for (let j = i + 1; j <= parts.length; j++) {
        const candidate = parts.slice(i, j).join(".");
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === candidate);
        if (pair) matches.push({ key: candidate, next: j, value: pair.value });
      }
    }
    if (matches.length > 1)
      return {
        problem: `"${key}" is ambiguous: ${matches.map((m) => `"${m.key}"`).join(" and ")} are both keys there (write the path with ::, e.g. ${[...path, matches[0]?.key].join("::")}::…)`,
      };
    const [match] = matches;
    if (!match) return [...path, ...parts.slice(i)];
    path.push(match.key);
    node = match.value;
    i = match.next;
  }
  return path;
}

/** A YAML text with positions, or its first syntax error. */
export function parseSource(
  text: string,
  label: string,
  dir: string,
  path?: string,
): ConfigSource | { problem: ConfigProblem } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const syntax = syntaxProblem(doc, label);
  if (syntax) return { problem: syntax };
  return { label, doc, lines, dir, text, ...(path ? { path } : {}) };
}

/** The first YAML syntax error only: the parser's later ones are usually the same mistake echoing on. */
export function syntaxProblem(doc: Document, file: string): ConfigProblem | undefined {
  const [syntax] = doc.errors;
  if (!syntax) return undefined;
  const pos = syntax.linePos?.[0];
  const message = syntax.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") ?? syntax.message;
  return { file, line: pos?.line ?? 0, column: pos?.col ?? 0, path: [], message };
}

/** `file:PATH`, `env:VAR`, `yaml:…`; anything else without a scheme (or a drive letter) is a path. */
function providerOf(value: string): { scheme: string; rest: string } {
  const m = PROVIDER.exec(value);
  if (!m || /^[A-Za-z]:[\\/]/.test(value)) return { scheme: "file", rest: value };
  return { scheme: (m[1] as string).toLowerCase(), rest: m[2] as string };
}

/** Files are named by their base name, or by their path when two share one. */
function fileLabels(paths: readonly string[], cwd: string): Map<string, string> {
  const counts = new Map<string, number>();
  for (const p of new Set(paths)) counts.set(basename(p), (counts.get(basename(p)) ?? 0) + 1);
  const labels = new Map<string, string>();
  for (const p of paths) {
    const rel = relative(cwd, p);
    const shown = rel.startsWith("..") || isAbsolute(rel) ? p : rel;
    labels.set(p, (counts.get(basename(p)) ?? 0) > 1 ? shown : basename(p));
  }
  return labels;
}

function flagProblem(label: string, message: string): ConfigProblem {
  return { file: label, line: 0, column: 0, path: [], message };
}
