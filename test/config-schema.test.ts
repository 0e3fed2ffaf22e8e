// pipeline.schema.json: what editors validate pipeline.yaml with. It must be the build's current
// output, accept the shipped file (env references in number fields included), refuse unknown keys,
// and describe every field for hover help.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { pipelineSchemaText } from "../src/config/json-schema.ts";
import { Registry } from "../src/registry.ts";

const ROOT = process.cwd();
const committed = await readFile(join(ROOT, "pipeline.schema.json"), "utf8");
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(JSON.parse(committed) as object);

const errorsOf = (yaml: string) => {
  validate(parse(yaml));
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
};

const minimal = (extra: string) => `receivers:
  otlp: {}
${extra}
service:
  pipelines:
    alerts: { receivers: [otlp], exporters: [console] }
`;

/** Every property schema under a `properties` map, with its path. */
function properties(node: unknown, path = ""): Array<[string, Record<string, unknown>]> {
  if (!node || typeof node !== "object") return [];
  const out: Array<[string, Record<string, unknown>]> = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === "properties" && value && typeof value === "object") {
      for (const [name, prop] of Object.entries(value)) {
        out.push([`${path}.${name}`, prop as Record<string, unknown>]);
        out.push(...properties(prop, `${path}.${name}`));
      }
    } else {
      out.push(...properties(value, key === "patternProperties" ? path : `${path}/${key}`));
    }
  }
  return out;
}

describe("pipeline.schema.json", () => {
  it("is what the build writes today (run `npm run build` after changing a config schema)", () => {
    expect(committed).toBe(pipelineSchemaText(new Registry()));
  });

  it("accepts the shipped pipeline.yaml and the test fixtures, env references in number fields included", async () => {
    for (const file of [
      "pipeline.yaml",
      "test/fixtures/console-only.yaml",
      "test/fixtures/e2e-outbox.yaml",
    ]) {
      expect(errorsOf(await readFile(join(ROOT, file), "utf8")), file).toEqual([]);
    }
  });

  it("refuses unknown keys at every level, and wrong types", () => {
    const unknown = (yaml: string) => errorsOf(yaml).filter((e) => e.includes("additionalProperty"));
    expect(unknown(minimal("exporters:\n  console: {}\n  slack:\n    webhok_url: x"))).toEqual([
      '/exporters/slack must NOT have additional properties {"additionalProperty":"webhok_url"}',
    ]);
    expect(
      unknown(
        minimal("processors:\n  scrub:\n    extra_patterns: [{ regexp: x }]\nexporters:\n  console: {}"),
      ),
    ).toEqual([
      '/processors/scrub/extra_patterns/0 must NOT have additional properties {"additionalProperty":"regexp"}',
    ]);
    expect(unknown(minimal("exporters:\n  console: {}\nservce: {}"))).toEqual([
      ' must NOT have additional properties {"additionalProperty":"servce"}',
    ]);
    expect(
      errorsOf(minimal("processors:\n  throttle:\n    max_per_window: ten\nexporters:\n  console: {}")),
    ).toContainEqual(expect.stringMatching(/^\/processors\/throttle\/max_per_window must be integer/));
    // A reference is accepted where it can stand: whole, in a number field; inside text, in a text field.
    expect(
      errorsOf(
        minimal(
          'processors:\n  throttle:\n    max_per_window: ${env:N:-10}\nexporters:\n  console:\n    json: ${env:J}\n    output: "${env:OUT}"',
        ),
      ),
    ).toEqual([]);
    expect(
      errorsOf(minimal("processors:\n  throttle:\n    max_per_window: 1${env:N}\nexporters:\n  console: {}")),
    ).not.toEqual([]);
  });

  it("describes every field and every component, with the default in the text", () => {
    const schema = JSON.parse(committed) as Record<string, unknown>;
    const all = properties(schema);
    const undescribed = all.filter(([, p]) => typeof p.description !== "string" || p.description.length < 10);
    expect(undescribed.map(([path]) => path)).toEqual([]);
    expect(new Set(all.map(([, p]) => p.description)).size).toBeGreaterThanOrEqual(80);
    const throttle = all.find(([path]) => path.endsWith(".max_per_window"))?.[1];
    expect(throttle?.description).toMatch(/per rolling window.*Default: 10\.$/);
    const sections = schema.properties as Record<
      string,
      { patternProperties?: Record<string, { description?: string }> }
    >;
    for (const section of ["receivers", "processors", "exporters"]) {
      for (const [pattern, component] of Object.entries(sections[section]?.patternProperties ?? {})) {
        expect(component.description, pattern).toMatch(/\w{4,}/);
      }
    }
  });
});
