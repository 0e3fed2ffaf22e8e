// `alertpipe test-alert`: one info message through each configured destination, with the outcome
// per destination (the guide's "test webhook connectivity").
import { asyncScheduler } from "rxjs";
import { ConfigError } from "../config/errors.ts";
import { createLogger } from "../log.ts";
import { PipelineGraph } from "../pipeline.ts";
import { redactSecrets } from "../secrets.ts";
import { loadConfig } from "../service.ts";
import { parseCommandArgs, strings } from "./args.ts";
import { CONFIG_OPTIONS, configInputs, printProblems } from "./config-args.ts";

export async function main(args: string[]): Promise<number> {
  const parsed = parseCommandArgs("test-alert", args, CONFIG_OPTIONS);
  if ("code" in parsed) return parsed.code;
  const { values, positionals } = parsed;
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig({
      configInputs: configInputs({ config: strings(values.config), set: strings(values.set) }, positionals),
    });
  } catch (err) {
    if (err instanceof ConfigError) return printProblems(err);
    process.stderr.write(`${redactSecrets((err as Error).message)}\n`);
    return 2;
  }
  const logger = createLogger({ level: "warn" });
  const graph = await PipelineGraph.build(config, { logger, env: process.env, scheduler: asyncScheduler });
  let failures = 0;
  let probed = 0;
  for (const { id, instance } of graph.exporters) {
    if (!instance.configured) {
      process.stdout.write(`${id}: not configured (skipped)\n`);
      continue;
    }
    if (!instance.probe) continue;
    for (const result of await instance.probe()) {
      probed++;
      if (!result.ok) failures++;
      const outcome = result.ok ? "ok" : `FAILED${result.reason ? `: ${result.reason}` : ""}`;
      const status = result.status !== undefined ? ` (${result.status})` : "";
      process.stdout.write(redactSecrets(`${id} → ${result.destination}: ${outcome}${status}\n`));
    }
  }
  await graph.shutdown();
  if (probed === 0) {
    process.stdout.write("no destination to test: set SLACK_WEBHOOK_URL and/or SENTRY_DSN\n");
    return 1;
  }
  return failures === 0 ? 0 : 1;
}
