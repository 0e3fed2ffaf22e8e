// `alertpipe test-alert`: one info message through each configured destination, with the outcome
// per destination (the guide's "test webhook connectivity").
import { asyncScheduler } from "rxjs";
import { ConfigError, formatProblem } from "./config/errors.ts";
import { createLogger } from "./log.ts";
import { PipelineGraph } from "./pipeline.ts";
import { redactSecrets } from "./secrets.ts";
import { loadConfig, resolveConfigPath } from "./service.ts";

export async function testAlert(file: string | undefined): Promise<number> {
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig({ configPath: resolveConfigPath(file) });
  } catch (err) {
    const lines = err instanceof ConfigError ? err.problems.map(formatProblem) : [(err as Error).message];
    for (const line of lines) process.stderr.write(`${redactSecrets(line)}\n`);
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
