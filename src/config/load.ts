// Load pipeline.yaml: parse with positions, substitute env, validate the shape and every component
// against its own factory's schema, and check that pipelines reference existing components.
import { readFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { type Document, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import type { ComponentFactory, ComponentKind } from "../component.ts";
import { type DeliveryConfig, deliveryConfigSchema } from "../delivery/config.ts";
import { componentType, loadModuleFactory, type Registry } from "../registry.ts";
import { looksSecretName, registerSecret } from "../secrets.ts";
import { type ConfigProblem, describeIssue, type KeyPath } from "./errors.ts";
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
}

export interface PipelineSpec {
  readonly name: string;
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
}

export interface ResolvedConfig {
  readonly file: string;
  readonly configDir: string;
  readonly components: ReadonlyMap<string, ComponentSpec>;
  readonly service: ServiceConfig;
  readonly pipelines: readonly PipelineSpec[];
  /**
   * A problem at a key path (`[section, id, ...key]`) with its file:line and the env variables it
   * came from, for errors a component raises at create or start. Absent on hand-built configs.
   */
  readonly problemAt?: (path: KeyPath, message: string, related?: readonly KeyPath[]) => ConfigProblem;
}

export type LoadResult = { ok: true; config: ResolvedConfig } | { ok: false; problems: ConfigProblem[] };

export interface LoadOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly registry: Registry;
}

const SECTIONS = { receivers: "receiver", processors: "processor", exporters: "exporter" } as const;

export async function loadConfigFile(path: string, options: LoadOptions): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (err as Error).message;
    return { ok: false, problems: [{ file: path, line: 0, column: 0, path: [], message: reason }] };
  }
  return loadConfigText(text, { ...options, file: basename(path), configDir: dirname(resolve(path)) });
}

export async function loadConfigText(
  text: string,
  options: LoadOptions & { file: string; configDir: string },
): Promise<LoadResult> {
  const { file, configDir, registry, env } = options;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const problems: ConfigProblem[] = [];

  const syntax = syntaxProblem(doc, file);
  if (syntax) return { ok: false, problems: [syntax] };

  const { problems: envProblems, origins, texts } = substituteEnv(doc, env);
  registerSecretVariables(origins, env);
  // A value whose reference is unset or malformed is reported once, not again as a type error.
  const sources = new ConfigSources(file, doc, lines, origins, new Set(envProblems.map((p) => p.node)));
  for (const p of envProblems) {
    const { line, col } = lines.linePos(p.node.range?.[0] ?? 0);
    problems.push({ file, line, column: col, path: pathOfNode(doc, p.node) ?? [], message: p.message });
  }
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
          factory = await loadModuleFactory(kind, module, configDir);
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
      components.set(`${section}:${id}`, { id, kind, factory, config: parsed.data, ...origin });
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

  if (problems.length > 0) return { ok: false, problems: sortProblems(problems) };
  const problemAt = (path: KeyPath, message: string, related: readonly KeyPath[] = []) =>
    sources.problem(path, message, { base: path.slice(0, 2), related });
  return {
    ok: true,
    config: { file, configDir, components, service: top.data.service, pipelines, problemAt },
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

/** The first YAML syntax error only: the parser's later ones are usually the same mistake echoing on. */
export function syntaxProblem(doc: Document, file: string): ConfigProblem | undefined {
  const [syntax] = doc.errors;
  if (!syntax) return undefined;
  const pos = syntax.linePos?.[0];
  return { file, line: pos?.line ?? 0, column: pos?.col ?? 0, path: [], message: firstLine(syntax.message) };
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

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

function firstLine(message: string): string {
  return message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") ?? message;
}
