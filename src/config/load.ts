// Load pipeline.yaml: parse with positions, substitute env, validate the shape and every component
// against its own factory's schema, and check that pipelines reference existing components.
import type { Document } from "yaml";
import type { z } from "zod";
import type { ComponentFactory, ComponentKind } from "../component.ts";
import { type DeliveryConfig, deliveryConfigSchema } from "../delivery/config.ts";
import { componentType, loadModuleFactory, type Registry } from "../registry.ts";
import { looksSecretName, registerSecret } from "../secrets.ts";
import { type ConfigProblem, describeIssue, type KeyPath } from "./errors.ts";
import { type ConfigSource, parseSource, readConfigSources, resolveSetKey, setSource } from "./inputs.ts";
import { MergedSources } from "./merge.ts";
import { type ServiceConfig, topLevelSchema } from "./schema.ts";
import { ConfigSources, type ProblemOptions } from "./sources.ts";
import { type EnvOrigins, type EnvTexts, substituteEnv } from "./substitute.ts";

export interface ComponentSpec {
  readonly id: string;
  readonly kind: ComponentKind;
  readonly factory: ComponentFactory;
  readonly config: unknown;
  /** Module path when the factory came from a file named in pipeline.yaml. */
  readonly module?: string;
  /** Delivery queue settings of a module exporter (`delivery:` beside `module:`). */
  readonly delivery?: DeliveryConfig;
  /** Where its relative paths resolve, when not the config's own directory (another --config file). */
  readonly configDir?: string;
}

export interface PipelineSpec {
  readonly name: string;
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
}

/** One source of a config as written (a file's text; a `--set`: its key only). */
export interface ConfigSourceText {
  readonly label: string;
  readonly path?: string;
  readonly text: string;
}

export interface ResolvedConfig {
  /** What it was read from: `pipeline.yaml`, or `base.yaml + prod.yaml + --set …` when merged. */
  readonly file: string;
  /** Where relative paths resolve: the (first) file's directory. */
  readonly configDir: string;
  readonly components: ReadonlyMap<string, ComponentSpec>;
  readonly service: ServiceConfig;
  readonly pipelines: readonly PipelineSpec[];
  /**
   * A problem at a key path (`[section, id, ...key]`) with its file:line and the env variables it
   * came from, for errors a component raises at create or start. Absent on hand-built configs.
   */
  readonly problemAt?: (path: KeyPath, message: string, related?: readonly KeyPath[]) => ConfigProblem;
  /** The sources merged, in order, as written (absent on hand-built configs). */
  readonly sources?: readonly ConfigSourceText[];
}

export type LoadResult = { ok: true; config: ResolvedConfig } | { ok: false; problems: ConfigProblem[] };

export interface LoadOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly registry: Registry;
}

/** What `--config` and `--set` gave, in order. */
export interface ConfigInputList {
  readonly configs: readonly string[];
  readonly sets?: readonly string[];
  /** Where relative paths and `--set` values resolve (default: the working directory). */
  readonly cwd?: string;
}

const SECTIONS = { receivers: "receiver", processors: "processor", exporters: "exporter" } as const;

/** One pipeline.yaml (an absolute path, or relative to the working directory). */
export async function loadConfigFile(path: string, options: LoadOptions): Promise<LoadResult> {
  return loadConfigInputs({ configs: [`file:${path}`] }, options);
}

/** `--config` sources merged in order (the Collector's way), then each `--set` over them. */
export async function loadConfigInputs(inputs: ConfigInputList, options: LoadOptions): Promise<LoadResult> {
  const read = await readConfigSources({ ...inputs, env: options.env });
  if (!read.ok) return { ok: false, problems: read.problems };
  return loadSources(read.sources, inputs.sets ?? [], { ...options, cwd: inputs.cwd ?? process.cwd() });
}

/** Inline YAML (the guide's API, tests), named `file` in problems. */
export async function loadConfigText(
  text: string,
  options: LoadOptions & { file: string; configDir: string },
): Promise<LoadResult> {
  const source = parseSource(text, options.file, options.configDir);
  if ("problem" in source) return { ok: false, problems: [source.problem] };
  return loadSources([source], [], { ...options, cwd: options.configDir });
}

async function loadSources(
  files: readonly ConfigSource[],
  sets: readonly string[],
  options: LoadOptions & { cwd: string },
): Promise<LoadResult> {
  const { registry, env } = options;
  const problems: ConfigProblem[] = [];
  const merged = new MergedSources(files);
  for (const flag of sets) {
    const set = setSource(flag, (key) => resolveSetKey(key, merged.root), options.cwd);
    if ("problem" in set) problems.push(set.problem);
    else merged.add(set);
  }
  if (problems.length > 0) return { ok: false, problems };
  const doc = merged.document();
  const first = files[0];
  const file = files.map((f) => f.label).join(" + ");
  const configDir = first?.dir ?? options.cwd;

  const { problems: envProblems, origins, texts } = substituteEnv(doc, env);
  registerSecretVariables(origins, env);
  // A value whose reference is unset or malformed is reported once, not again as a type error.
  const sources = new ConfigSources(doc, merged, origins, new Set(envProblems.map((p) => p.node)));
  for (const p of envProblems)
    problems.push(sources.problemAtNode(p.node, pathOfNode(doc, p.node) ?? [], p.message));
  const at = (path: KeyPath, message: string, options: ProblemOptions = {}): void => {
    if (options.atKey || !sources.alreadyReported(path))
      problems.push(sources.problem(path, message, options));
  };

  const raw: unknown = doc.toJS() ?? {};
  const top = topLevelSchema.safeParse(raw);
  if (!top.success) {
    reportIssues(top.error.issues, [], raw, sources, at);
    return { ok: false, problems };
  }

  const components = new Map<string, ComponentSpec>();
  for (const [section, kind] of Object.entries(SECTIONS) as [keyof typeof SECTIONS, ComponentKind][]) {
    for (const [id, rawConfig] of Object.entries(top.data[section])) {
      const base: KeyPath = [section, id];
      if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.\-/]+)?$/.test(id)) {
        at(base, `invalid component id "${id}" (expected type or type/name)`, { atKey: true });
        continue;
      }
      const section$ = (rawConfig ?? {}) as Record<string, unknown>;
      let factory: ComponentFactory | undefined;
      let body: unknown = section$;
      let delivery: DeliveryConfig | undefined;
      const module = typeof section$ === "object" ? section$.module : undefined;
      if (typeof module === "string") {
        const { module: _module, delivery: rawDelivery, ...rest } = section$;
        body = rest;
        if (kind === "exporter") {
          const parsedDelivery = deliveryConfigSchema.safeParse(rawDelivery ?? {});
          if (!parsedDelivery.success) {
            reportIssues(parsedDelivery.error.issues, [...base, "delivery"], rawDelivery, sources, at);
            continue;
          }
          delivery = parsedDelivery.data;
        }
        try {
          // Relative to the file that names it (with several --config files, each its own).
          const dir = sources.sourceAt([...base, "module"])?.dir ?? configDir;
          factory = await loadModuleFactory(kind, module, dir);
        } catch (err) {
          at([...base, "module"], (err as Error).message);
          continue;
        }
      } else {
        factory = registry.get(kind, componentType(id));
        if (!factory) {
          const known = registry.types(kind).sort().join(", ");
          at(base, `unknown ${kind} type "${componentType(id)}" (known: ${known}; or give a module path)`, {
            atKey: true,
          });
          continue;
        }
      }
      let parsed = (factory.configSchema as z.ZodType).safeParse(body);
      if (!parsed.success) {
        // An env value read as a number or boolean where the field wants text ("2024", a numeric token).
        const retried = retryAsText(parsed.error.issues, base, body, doc, texts);
        if (retried !== undefined) parsed = (factory.configSchema as z.ZodType).safeParse(retried);
      }
      if (!parsed.success) {
        reportIssues(parsed.error.issues, base, body, sources, at);
        continue;
      }
      for (const v of factory.validate?.(parsed.data) ?? [])
        at([...base, ...v.path], v.message, { base, related: v.related ?? [] });
      collectSecrets(parsed.data);
      const origin = typeof module === "string" ? { module, delivery } : {};
      const dir = sources.sourceAt(base)?.dir ?? configDir;
      components.set(`${section}:${id}`, {
        id,
        kind,
        factory,
        config: parsed.data,
        ...origin,
        ...(dir === configDir ? {} : { configDir: dir }),
      });
    }
  }

  const pipelines: PipelineSpec[] = [];
  for (const [name, p] of Object.entries(top.data.service.pipelines)) {
    for (const section of ["receivers", "processors", "exporters"] as const) {
      p[section].forEach((id, i) => {
        const declared = top.data[section][id] !== undefined;
        if (!declared) at(["service", "pipelines", name, section, i], `unknown ${SECTIONS[section]} "${id}"`);
      });
    }
    pipelines.push({ name, ...p });
  }
  if (pipelines.length === 0) at(["service", "pipelines"], "at least one pipeline is required");

  if (problems.length > 0) return { ok: false, problems: sortProblems(problems, merged.sources) };
  const problemAt = (path: KeyPath, message: string, related: readonly KeyPath[] = []) =>
    sources.problem(path, message, { base: path.slice(0, 2), related });
  return {
    ok: true,
    config: {
      file,
      configDir,
      components,
      service: top.data.service,
      pipelines,
      problemAt,
      sources: merged.sources.map(({ label, path, text }) => ({ label, text, ...(path ? { path } : {}) })),
    },
  };
}

function reportIssues(
  issues: readonly z.core.$ZodIssue[],
  base: KeyPath,
  root: unknown,
  sources: ConfigSources,
  at: (path: KeyPath, message: string, options?: ProblemOptions) => void,
): void {
  for (const issue of issues) {
    const rel = issue.path.filter((s): s is string | number => typeof s !== "symbol");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) at([...base, ...rel, key], "unknown key", { atKey: true });
      continue;
    }
    if (issue.code === "invalid_key") {
      at([...base, ...rel], issue.issues.map((i) => i.message).join("; "), { atKey: true });
      continue;
    }
    const { value, present } = valueAt(root, rel);
    const path = [...base, ...rel];
    // Never echo what a secret-looking key or variable holds, even when it is invalid.
    const secret = [String(rel.at(-1) ?? ""), ...sources.variables(path)].some(looksSecretName);
    at(path, describeIssue(issue, secret ? "***" : value, present));
  }
}

/** A copy of `body` with env-substituted values put back as text where a string was expected. */
function retryAsText(
  issues: readonly z.core.$ZodIssue[],
  base: KeyPath,
  body: unknown,
  doc: Document,
  texts: EnvTexts,
): unknown {
  let copy: unknown;
  for (const issue of issues) {
    if (issue.code !== "invalid_type" || issue.expected !== "string") continue;
    const rel = issue.path.filter((s): s is string | number => typeof s !== "symbol");
    const text = texts.get(doc.getIn([...base, ...rel], true) as never);
    if (text === undefined || rel.length === 0) continue;
    copy ??= structuredClone(body);
    let parent = copy as Record<string | number, unknown>;
    for (const seg of rel.slice(0, -1)) parent = parent[seg] as Record<string | number, unknown>;
    parent[rel.at(-1) as string | number] = text;
  }
  return copy;
}

/** The value at `path` in parsed YAML, and whether it is there (for "got …" in messages). */
export function valueAt(root: unknown, path: KeyPath): { value: unknown; present: boolean } {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object" || !(seg in (cur as object)))
      return { value: undefined, present: false };
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return { value: cur, present: cur !== undefined };
}

function pathOfNode(doc: Document, target: unknown): KeyPath | undefined {
  const walk = (node: unknown, path: (string | number)[]): KeyPath | undefined => {
    if (node === target) return path;
    const items = (node as { items?: unknown[] } | null)?.items;
    if (!Array.isArray(items)) return undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as { key?: { value?: unknown }; value?: unknown };
      const found =
        item && typeof item === "object" && "key" in item
          ? walk(item.value, [...path, String(item.key?.value)])
          : walk(item, [...path, i]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(doc.contents, []);
}

/** Values of secret-looking variables are masked wherever they would be printed, whatever key took them. */
function registerSecretVariables(
  origins: EnvOrigins,
  env: Readonly<Record<string, string | undefined>>,
): void {
  for (const names of origins.values())
    for (const name of names) if (looksSecretName(name)) registerSecret(env[name]);
}

/** Values under secret-looking keys are masked wherever they would be printed. */
function collectSecrets(value: unknown, key = ""): void {
  if (typeof value === "string") {
    if (looksSecretName(key)) registerSecret(value);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) collectSecrets(v, k);
  }
}

/** In source order (the --config files, then the --set flags), then by line and column. */
function sortProblems(problems: ConfigProblem[], sources: readonly ConfigSource[]): ConfigProblem[] {
  const order = new Map(sources.map((s, i) => [s.label, i]));
  const rank = (p: ConfigProblem) => order.get(p.file) ?? -1;
  return problems.sort((a, b) => rank(a) - rank(b) || a.line - b.line || a.column - b.column);
}
