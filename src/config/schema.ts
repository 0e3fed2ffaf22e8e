// The shape of pipeline.yaml around the components, and its published JSON Schema.
import { z } from "zod";
import type { ComponentKind } from "../component.ts";
import { boolishOr } from "../delivery/config.ts";
import type { Registry } from "../registry.ts";
import { stateSpecSchema } from "../state/open.ts";

const componentIds = z.array(z.string().min(1));
const componentSection = z
  .record(z.string(), z.unknown().nullable())
  .nullable()
  .transform((v) => v ?? {});

export const pipelineSchema = z.strictObject({
  receivers: componentIds.min(1, "a pipeline needs at least one receiver"),
  processors: componentIds.default([]),
  exporters: componentIds.min(1, "a pipeline needs at least one exporter"),
});

export const serviceSchema = z.strictObject({
  pipelines: z.record(z.string(), pipelineSchema),
  /** memory | sqlite:PATH | redis://host:port/db; ALERTPIPE_STATE wins. Default: sqlite for `run`, else memory. */
  state: stateSpecSchema.optional(),
  status: z
    .strictObject({
      enabled: boolishOr(true),
      endpoint: z
        .string()
        .regex(/^[^:\s]*:\d+$/, "expected host:port")
        .default("127.0.0.1:13133"),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
      /** ALERT_DEBUG_MODE: log every signal decision at debug level. */
      debug: boolishOr(false),
    })
    .prefault({}),
});

export type ServiceConfig = z.output<typeof serviceSchema>;

export const topLevelSchema = z.strictObject({
  receivers: componentSection.default({}),
  processors: componentSection.default({}),
  exporters: componentSection.default({}),
  service: serviceSchema,
});

const SECTIONS: ReadonlyArray<[string, ComponentKind]> = [
  ["receivers", "receiver"],
  ["processors", "processor"],
  ["exporters", "exporter"],
];

/** JSON Schema of pipeline.yaml with every registered component's own config schema. */
export function pipelineJsonSchema(registry: Registry): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [section, kind] of SECTIONS) {
    const patternProperties: Record<string, unknown> = {};
    for (const type of registry.types(kind).sort()) {
      const factory = registry.get(kind, type);
      if (!factory) continue;
      const schema = z.toJSONSchema(factory.configSchema as z.ZodType, {
        io: "input",
        unrepresentable: "any",
      });
      delete (schema as { $schema?: string }).$schema;
      patternProperties[`^${escapeRegex(type)}(/.+)?$`] = schema;
    }
    properties[section] = {
      type: "object",
      description: `${kind} components by id (type or type/name); a custom one names its factory with "module"`,
      patternProperties,
      additionalProperties: {
        type: "object",
        required: ["module"],
        properties: { module: { type: "string", description: "path of a module exporting a factory" } },
      },
    };
  }
  const service = z.toJSONSchema(serviceSchema, { io: "input", unrepresentable: "any" });
  delete (service as { $schema?: string }).$schema;
  properties.service = service;
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "alertpipe pipeline.yaml",
    type: "object",
    additionalProperties: false,
    required: ["service"],
    properties,
  };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
