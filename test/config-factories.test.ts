// Every built-in factory, iterated from the registry: unknown keys are errors (a typo'd
// `webhok_url` must never silently leave Slack unconfigured) and defaults alone build a component.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { pino } from "pino";
import { asyncScheduler } from "rxjs";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { z } from "zod";
import type { ComponentFactory, ComponentKind } from "../src/component.ts";
import { formatProblem } from "../src/config/errors.ts";
import { loadConfigText } from "../src/config/load.ts";
import { Registry } from "../src/registry.ts";

const registry = new Registry();
const SECTION: Record<ComponentKind, "receivers" | "processors" | "exporters"> = {
  receiver: "receivers",
  processor: "processors",
  exporter: "exporters",
};

/** The few factories with required keys: the least config they run on. */
const REQUIRED: Readonly<Record<string, Record<string, unknown>>> = {
  "processor:threshold": { metric: "pipeline.health.score", threshold: 30 },
  "processor:spike": { metric: "pipeline.rpc.calls" },
  "processor:anomaly": { metric: "pipeline.artifacts.processed" },
  "exporter:file": { path: "out.jsonl" },
};

const minimal = (f: ComponentFactory) => REQUIRED[`${f.kind}:${f.type}`] ?? {};

async function loadComponent(f: ComponentFactory, config: Record<string, unknown>, configDir: string) {
  const doc: Record<string, Record<string, unknown>> = {
    receivers: { otlp: {} },
    processors: {},
    exporters: { console: {} },
  };
  const section = doc[SECTION[f.kind]] as Record<string, unknown>;
  section[f.type] = config;
  doc.service = { pipelines: { alerts: { receivers: ["otlp"], exporters: ["console"] } } };
  return loadConfigText(stringify(doc), { env: {}, registry, file: "pipeline.yaml", configDir });
}

/** Every object schema (at any depth) that lists properties must refuse others. */
function openObjects(schema: unknown, path = "$"): string[] {
  if (!schema || typeof schema !== "object") return [];
  const node = schema as Record<string, unknown>;
  const open =
    node.properties !== undefined &&
    node.additionalProperties !== false &&
    node.patternProperties === undefined
      ? [path]
      : [];
  return [
    ...open,
    ...Object.entries(node).flatMap(([k, v]) =>
      Array.isArray(v)
        ? v.flatMap((x, i) => openObjects(x, `${path}.${k}[${i}]`))
        : openObjects(v, `${path}.${k}`),
    ),
  ];
}

describe.each(registry.all().map((f) => [`${f.kind} ${f.type}`, f] as const))("%s", (_name, factory) => {
  it("rejects an unknown key with file:line and the key's path", async () => {
    const result = await loadComponent(factory, { ...minimal(factory), webhok_url: "x" }, process.cwd());
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const path = `${SECTION[factory.kind]}.${factory.type}.webhok_url`;
    expect(result.problems.map(formatProblem)).toEqual([
      expect.stringMatching(
        new RegExp(`^pipeline\\.yaml:\\d+:\\d+ ${path.replace(/\./g, "\\.")}: unknown key$`),
      ),
    ]);
  });

  it("refuses unknown keys at every depth of its schema", () => {
    const json = z.toJSONSchema(factory.configSchema as z.ZodType, { io: "input", unrepresentable: "any" });
    expect(openObjects(json)).toEqual([]);
  });

  it("creates from its defaults alone and shuts down", async () => {
    const dir = await mkdtemp(`${tmpdir()}/alertpipe-factory-`);
    const required = REQUIRED[`${factory.kind}:${factory.type}`];
    // A factory listed as needing keys really does: the table hides nothing that runs on defaults.
    if (required) expect((await loadComponent(factory, {}, dir)).ok).toBe(false);
    const result = await loadComponent(factory, minimal(factory), dir);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
    if (!result.ok) return;
    const spec = result.config.components.get(`${SECTION[factory.kind]}:${factory.type}`);
    const instance = await factory.create(spec?.config, {
      id: factory.type,
      scheduler: asyncScheduler,
      logger: pino({ level: "silent" }),
      configDir: dir,
      env: {},
    });
    await ("shutdown" in instance && instance.shutdown ? instance.shutdown() : undefined);
  });
});
