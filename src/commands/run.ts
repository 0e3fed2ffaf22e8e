// `alertpipe run [FILE] [--config FILE]... [--set KEY=VALUE]...`: the collector, until SIGINT/SIGTERM.
import { ConfigError } from "../config/errors.ts";
import { redactSecrets } from "../secrets.ts";
import { type AlertPipelineHandle, startAlertPipeline } from "../service.ts";
import { DEFAULT_RUN_STATE_SPEC } from "../state/open.ts";
import { EXIT_USAGE, parseCommandArgs, strings } from "./args.ts";
import { CONFIG_OPTIONS, configInputs, printProblems } from "./config-args.ts";

export async function main(args: string[]): Promise<number> {
  const parsed = parseCommandArgs("run", args, CONFIG_OPTIONS);
  if ("code" in parsed) return parsed.code;
  const { values, positionals } = parsed;
  // Signals are caught from the start: one that comes while the collector starts stops it once started.
  let signalled: string | undefined;
  let onSignal = (signal: string) => {
    signalled = signal;
  };
  const handlers = { SIGINT: () => onSignal("SIGINT"), SIGTERM: () => onSignal("SIGTERM") };
  process.once("SIGINT", handlers.SIGINT);
  process.once("SIGTERM", handlers.SIGTERM);
  let handle: AlertPipelineHandle;
  try {
    handle = await startAlertPipeline({
      configInputs: configInputs({ config: strings(values.config), set: strings(values.set) }, positionals),
      defaultState: DEFAULT_RUN_STATE_SPEC,
    });
  } catch (err) {
    process.off("SIGINT", handlers.SIGINT);
    process.off("SIGTERM", handlers.SIGTERM);
    if (err instanceof ConfigError) return printProblems(err);
    process.stderr.write(`alertpipe: ${redactSecrets((err as Error).message)}\n`);
    return EXIT_USAGE;
  }
  const { logger, config } = handle;
  const exit = new Promise<number>((resolveExit) => {
    onSignal = (signal: string) => {
      logger.info({ signal }, "shutting down: flushing exporters");
      handle.shutdown().then(
        () => resolveExit(0),
        (err: unknown) => {
          logger.error({ err: String(err) }, "shutdown failed");
          resolveExit(1);
        },
      );
    };
  });
  // Bound addresses (port 0 picks a free one), so people and tests can find the listeners.
  const endpoints: Record<string, unknown> = {};
  for (const r of handle.graph.receivers) {
    const endpoint = r.instance.status?.().endpoint;
    if (endpoint !== undefined) endpoints[r.id] = endpoint;
  }
  const status = handle.statusAddress();
  if (status) endpoints.status = `${status.host}:${status.port}`;
  logger.info(
    { config: config.file, pipelines: config.pipelines.map((p) => p.name), endpoints },
    "alertpipe running",
  );
  if (signalled) onSignal(signalled);
  return exit;
}
