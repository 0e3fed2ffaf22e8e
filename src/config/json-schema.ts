// The published JSON Schema of pipeline.yaml (`alertpipe schema`, pipeline.schema.json), generated
// from every component's zod schema: its descriptions (with defaults) for hover help, unknown keys
// refused, and a `${env:…}` reference accepted wherever the value is a number, boolean or
// constrained text, as the loader substitutes it before validating.
import { z } from "zod";
import type { ComponentKind } from "../component.ts";
import { deliveryConfigSchema } from "../delivery/config.ts";
import type { Registry } from "../registry.ts";
import { serviceSchema } from "./schema.ts";

type JsonSchema = { [key: string]: unknown };

const REFERENCE = "\\$\\{env:[A-Za-z_][A-Za-z0-9_]*(:[-+][^}]*)?\\}";
const REFERENCE_HELP = `\${env:VAR}, \${env:VAR:-default} or \${env:VAR:+alternative}`;
/** Shared definitions: every field that takes a reference points at one of these. */
const DEFINITIONS: JsonSchema = {
  // A number or boolean field: the value must be exactly one reference to take the variable's type.
  envReference: {
    type: "string",
    pattern: `^${REFERENCE}$`,
    description: `The value from the environment: ${REFERENCE_HELP}.`,
  },
  // A constrained text field: references may be part of the text.
  textWithEnvReference: {
    type: "string",
    pattern: REFERENCE,
    description: `Text with environment references: ${REFERENCE_HELP}.`,
  },
};
const WHOLE_REFERENCE: JsonSchema = { $ref: "#/$defs/envReference" };
const TEXT_WITH_REFERENCE: JsonSchema = { $ref: "#/$defs/textWithEnvReference" };
const SCALAR_TYPES = new Set(["string", "number", "integer", "boolean", "null"]);
const STRING_CONSTRAINTS = ["enum", "const", "pattern", "format", "minLength", "maxLength"];
/** Longest default (as JSON) spelled out in a description; longer ones stay in `default` only. */
const MAX_DEFAULT_TEXT = 60;

const SECTIONS: ReadonlyArray<[string, ComponentKind, string]> = [
  ["receivers", "receiver", "otlp/internal"],
  ["processors", "processor", "threshold/memory_usage"],
  ["exporters", "exporter", "slack/oncall"],
];

/** JSON Schema of pipeline.yaml with every registered component's own config schema. */
export function pipelineJsonSchema(registry: Registry): JsonSchema {
  const properties: JsonSchema = {};
  const definitions: JsonSchema = { ...DEFINITIONS };
  for (const [section, kind, example] of SECTIONS) {
    const patternProperties: JsonSchema = {};
    for (const type of registry.types(kind).sort()) {
      const factory = registry.get(kind, type);
      if (factory)
        patternProperties[`^${escapeRegex(type)}(/.+)?$`] = componentSchema(factory.configSchema, kind);
    }
    properties[section] = {
      description: `${kind[0]?.toUpperCase()}${kind.slice(1)}s by id, \`type\` or \`type/name\` (e.g. ${example}); a custom one names its factory file with \`module\`.`,
      type: ["object", "null"],
      patternProperties,
      additionalProperties: { $ref: `#/$defs/${kind}Module` },
    };
    definitions[`${kind}Module`] = moduleComponent(kind);
  }
  properties.service = jsonSchemaOf(serviceSchema);
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "alertpipe pipeline.yaml",
    description:
      "An alertpipe pipeline: components under receivers, processors and exporters, wired only in service.pipelines.",
    type: "object",
    additionalProperties: false,
    required: ["service"],
    properties,
    $defs: definitions,
  };
}

/** The schema as the build writes it to pipeline.schema.json. */
export function pipelineSchemaText(registry: Registry): string {
  return `${JSON.stringify(pipelineJsonSchema(registry), null, 2)}\n`;
}

/** A zod schema as JSON Schema (input side: defaulted keys are optional); its references need the root's $defs. */
function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  delete json.$schema;
  return withEnvReferences(json);
}

/** A built-in component: its config, an empty entry (`scrub:`), or a module standing in for it. */
function componentSchema(schema: z.ZodType, kind: ComponentKind): JsonSchema {
  const { description, ...config } = jsonSchemaOf(schema);
  return {
    ...(description === undefined ? {} : { description }),
    anyOf: [config, { type: "null" }, { $ref: `#/$defs/${kind}Module` }],
  };
}

function moduleComponent(kind: ComponentKind): JsonSchema {
  const properties: JsonSchema = {
    module: {
      type: "string",
      description: `Path of a module whose default (or \`factory\`) export is a ${kind} factory, relative to this file; the other keys are its config.`,
    },
  };
  if (kind === "exporter") {
    properties.delivery = {
      ...jsonSchemaOf(deliveryConfigSchema),
      description: "Delivery queue of a module exporter: rate limit, retries, shutdown deadline.",
    };
  }
  return { type: "object", required: ["module"], properties };
}

/** Walks the schema: every scalar field that does not take any text also takes a reference. */
function withEnvReferences(node: JsonSchema): JsonSchema {
  if (isScalar(node)) {
    const described = withDefaultText(node);
    if (acceptsAnyText(node)) return described;
    const { description, default: fallback, ...rest } = described;
    return {
      ...(description === undefined ? {} : { description }),
      ...(fallback === undefined ? {} : { default: fallback }),
      anyOf: [rest, takesText(node) ? TEXT_WITH_REFERENCE : WHOLE_REFERENCE],
    };
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(withDefaultText(node))) {
    if ((key === "properties" || key === "patternProperties" || key === "$defs") && isSchema(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, isSchema(v) ? withEnvReferences(v) : v]),
      );
    } else if (
      (key === "anyOf" || key === "oneOf" || key === "allOf" || key === "prefixItems") &&
      Array.isArray(value)
    ) {
      out[key] = value.map((v: unknown) => (isSchema(v) ? withEnvReferences(v) : v));
    } else if ((key === "items" || key === "additionalProperties") && isSchema(value)) {
      out[key] = withEnvReferences(value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** The description ends with the default, so hover help shows it (`default` alone often is not shown). */
function withDefaultText(node: JsonSchema): JsonSchema {
  const { description, default: fallback } = node;
  if (typeof description !== "string" || fallback === undefined || isSchema(fallback)) return node;
  const text = JSON.stringify(fallback);
  if (text.length > MAX_DEFAULT_TEXT || /\bdefault:/i.test(description)) return node;
  return { ...node, description: `${description} Default: ${text}.` };
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function types(node: JsonSchema): string[] {
  const { type } = node;
  return typeof type === "string" ? [type] : Array.isArray(type) ? (type as string[]) : [];
}

/** A leaf: only scalar types, an enum/const, or a union of those. */
function isScalar(node: JsonSchema): boolean {
  if (node.properties !== undefined || node.items !== undefined) return false;
  const union = (node.anyOf ?? node.oneOf) as unknown[] | undefined;
  if (union) return union.every((v) => isSchema(v) && isScalar(v));
  const t = types(node);
  if (t.length > 0) return t.every((x) => SCALAR_TYPES.has(x));
  return node.enum !== undefined || node.const !== undefined;
}

/** Any string is valid already, so a reference needs no branch of its own. */
function acceptsAnyText(node: JsonSchema): boolean {
  const union = (node.anyOf ?? node.oneOf) as JsonSchema[] | undefined;
  if (union) return union.some(acceptsAnyText);
  return types(node).includes("string") && STRING_CONSTRAINTS.every((k) => node[k] === undefined);
}

function takesText(node: JsonSchema): boolean {
  const union = (node.anyOf ?? node.oneOf) as JsonSchema[] | undefined;
  if (union) return union.some(takesText);
  return types(node).includes("string");
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
