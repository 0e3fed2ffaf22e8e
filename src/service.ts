// A running alert pipeline: load config, build components, serve status, shut down cleanly.
// Used by `alertpipe run`, by `alertpipe/register` in a scraper process, and programmatically.
import type { Logger } from "pino";
import { asyncScheduler, type SchedulerLike } from "rxjs";
import { type ApiServer, startOperatingApi } from "./api/index.ts";
import { DEFAULT_CONFIG_PATH, resolveConfigPath } from "./config/default-path.ts";
import { ConfigError } from "./config/errors.ts";
import {
  type ConfigInputList,
  loadConfigInputs,
  loadConfigText,
  type ResolvedConfig,
} from "./config/load.ts";
import { createLogger } from "./log.ts";
import { PipelineGraph } from "./pipeline.ts";
import { Registry } from "./registry.ts";
import { bindSeedServices, type SeedServices } from "./seed-services.ts";
import type { Item } from "./signal.ts";
import { instanceNameFromEnv, newInstanceId } from "./state/instance-id.ts";
import { type OpenStateStoreOptions, openStateStore, resolveStateSpec } from "./state/open.ts";
import type { StateStore } from "./state/store.ts";
import { statusReport } from "./status.ts";
import { Telemetry } from "./telemetry/telemetry.ts";

export interface AlertPipelineOptions {
  /** Path of a pipeline.yaml; default ./pipeline.yaml, else the embedded default. */
  readonly configPath?: string;
  /** Inline YAML instead of a file. */
  readonly configText?: string;
  /** `--config` sources merged in order and `--set` overrides (the CLI); instead of configPath. */
  readonly configInputs?: ConfigInputList;
  /** An already loaded config (e.g. rewritten for in-process use); skips configPath/configText. */
  readonly config?: ResolvedConfig;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The guide's constructor arguments: stand in for SLACK_WEBHOOK_URL / SENTRY_DSN / SENTRY_ENVIRONMENT. */
  readonly slackWebhookUrl?: string;
  readonly sentryDsn?: string;
  readonly sentryEnvironment?: string;
  readonly scheduler?: SchedulerLike;
  readonly logger?: Logger;
  readonly registry?: Registry;
  /** Serve the operating API: probes, /status, /metrics, /ui/, the Alertmanager v2 API (default: service.status.enabled). */
  readonly statusServer?: boolean;
  /** State store spec when neither ALERTPIPE_STATE nor service.state gives one (default memory). */
  readonly defaultState?: string;
  /** An already open store (tests); it is not closed on shutdown. */
  readonly state?: StateStore;
}

export interface AlertPipelineHandle extends SeedServices {
  readonly config: ResolvedConfig;
  readonly graph: PipelineGraph;
  readonly logger: Logger;
  /** Inject an item (alert, error, signal) into the pipeline, as the seed API does. */
  submit(item: Item): void;
  status(): Record<string, unknown>;
  /** The bound status address, when the status server runs. */
  statusAddress(): { host: string; port: number } | undefined;
  shutdown(): Promise<void>;
}

export { DEFAULT_CONFIG_PATH, resolveConfigPath };

/** The environment config substitution sees: the process's, with the guide-style options on top. */
function effectiveEnv(options: AlertPipelineOptions): Readonly<Record<string, string | undefined>> {
  const env = options.env ?? process.env;
  const overrides: Record<string, string> = {};
  if (options.slackWebhookUrl !== undefined) overrides.SLACK_WEBHOOK_URL = options.slackWebhookUrl;
  if (options.sentryDsn !== undefined) overrides.SENTRY_DSN = options.sentryDsn;
  if (options.sentryEnvironment !== undefined) overrides.SENTRY_ENVIRONMENT = options.sentryEnvironment;
  return Object.keys(overrides).length === 0 ? env : { ...env, ...overrides };
}

export async function loadConfig(options: AlertPipelineOptions): Promise<ResolvedConfig> {
  const env = effectiveEnv(options);
  const registry = options.registry ?? new Registry();
  const result =
    options.configText !== undefined
      ? await loadConfigText(options.configText, {
          env,
          registry,
          file: "<inline>",
          configDir: process.cwd(),
        })
      : await loadConfigInputs(
          options.configInputs ?? { configs: [`file:${resolveConfigPath(options.configPath)}`] },
          { env, registry },
        );
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}

export async function startAlertPipeline(options: AlertPipelineOptions = {}): Promise<AlertPipelineHandle> {
  const env = effectiveEnv(options);
  const config = options.config ?? (await loadConfig(options));
  const { log } = config.service;
  const logger =
    options.logger ?? createLogger({ level: log.debug ? "debug" : log.level, format: log.format });
  const scheduler = options.scheduler ?? asyncScheduler;
  const ownsState = options.state === undefined;
  const state =
    options.state ??
    (await openState(env, config, options.defaultState ?? "memory", {
      logger: logger.child({ component: "state" }),
      instanceId: newInstanceId(instanceNameFromEnv(env)),
      now: () => scheduler.now(),
    }));
  const telemetry = new Telemetry();
  const graph = await PipelineGraph.build(config, { scheduler, logger, env, state, notices: telemetry });
  const services = bindSeedServices(graph, scheduler);
  const startedAt = Date.now();
  const status = () => statusReport(graph, services, { startedAt, state: state.status() });

  let api: ApiServer | undefined;
  try {
    await graph.start();
    if (options.statusServer ?? config.service.status.enabled) {
      api = await startOperatingApi({
        config,
        graph,
        state,
        scheduler,
        logger,
        startedAt,
        status,
        telemetry,
      }).catch((err: unknown) => {
        throw atConfigKey(config, ["service", "status", "endpoint"], err);
      });
    }
  } catch (err) {
    await graph.shutdown().catch(() => undefined);
    await api?.close();
    if (ownsState) await state.close().catch(() => undefined);
    throw err;
  }
  const printed = graph.consoleFallbackKinds;
  if (printed.has("alert")) {
    logger.info(
      "no alert destination configured (SLACK_WEBHOOK_URL unset or Slack disabled): printing alerts to the console",
    );
  }
  if (printed.has("error")) {
    logger.info("no exception destination configured (SENTRY_DSN unset): printing exceptions to the console");
  }

  let stopping: Promise<void> | undefined;
  return {
    config,
    graph,
    logger,
    ...services,
    submit: (item) => graph.submit(item),
    status,
    statusAddress: () => api?.address(),
    shutdown() {
      stopping ??= (async () => {
        await api?.close();
        services.monitoring.stop();
        await graph.shutdown();
        if (ownsState) await state.close();
      })();
      return stopping;
    },
  };
}

/** The state store the environment or pipeline.yaml names; a failure says which of them named it. */
async function openState(
  env: Readonly<Record<string, string | undefined>>,
  config: ResolvedConfig,
  fallback: string,
  options: OpenStateStoreOptions,
): Promise<StateStore> {
  try {
    return await openStateStore(resolveStateSpec(env, config.service.state, fallback), options);
  } catch (err) {
    if (env.ALERTPIPE_STATE?.trim()) throw new Error(`${(err as Error).message} (from ALERTPIPE_STATE)`);
    throw config.service.state === undefined ? err : atConfigKey(config, ["service", "state"], err);
  }
}

/** An error about a configured value, reported at its file:line with the env variable it came from. */
function atConfigKey(config: ResolvedConfig, path: readonly string[], err: unknown): unknown {
  if (!config.problemAt) return err;
  return new ConfigError([config.problemAt(path, err instanceof Error ? err.message : String(err))]);
}
