// Writes pipeline.schema.json, the JSON Schema editors use for pipeline.yaml (`npm run build`).
import { writeFileSync } from "node:fs";
import { pipelineSchemaText } from "../src/config/json-schema.ts";
import { Registry } from "../src/registry.ts";

const target = new URL("../pipeline.schema.json", import.meta.url);
writeFileSync(target, pipelineSchemaText(new Registry()));
process.stdout.write(`wrote ${target.pathname}\n`);
