// `alertpipe schema`: the JSON Schema of pipeline.yaml, as pipeline.schema.json ships it.
import { pipelineSchemaText } from "../config/json-schema.ts";
import { Registry } from "../registry.ts";
import { parseCommandArgs, usageError } from "./args.ts";

export async function main(args: string[]): Promise<number> {
  const parsed = parseCommandArgs("schema", args, {});
  if ("code" in parsed) return parsed.code;
  if (parsed.positionals.length > 0)
    return usageError("schema", `unexpected arguments: ${parsed.positionals.join(" ")}`).code;
  process.stdout.write(pipelineSchemaText(new Registry()));
  return 0;
}
