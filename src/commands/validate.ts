// `alertpipe validate [FILE] [--config FILE]... [--set KEY=VALUE]...`: load as `run` would, start nothing.
import { loadConfigInputs } from "../config/load.ts";
import { Registry } from "../registry.ts";
import { parseCommandArgs, strings } from "./args.ts";
import { CONFIG_OPTIONS, configInputs, printProblems } from "./config-args.ts";

export async function main(args: string[]): Promise<number> {
  const parsed = parseCommandArgs("validate", args, CONFIG_OPTIONS);
  if ("code" in parsed) return parsed.code;
  const { values, positionals } = parsed;
  const inputs = configInputs({ config: strings(values.config), set: strings(values.set) }, positionals);
  const result = await loadConfigInputs(inputs, { env: process.env, registry: new Registry() });
  if (!result.ok) return printProblems(result.problems);
  const { pipelines, components, sources = [] } = result.config;
  const [only] = sources;
  const name = sources.length === 1 && only?.path ? only.path : result.config.file;
  const sets = inputs.sets?.length ? ` with ${inputs.sets.length} --set` : "";
  process.stdout.write(
    `${name}${sets}: valid (${pipelines.length} pipeline(s), ${components.size} component(s))\n`,
  );
  return 0;
}
