// The alert pipeline inside the monitored process: config rewritten for in-process use, pipeline
// started with tracing suppressed (its own HTTP calls never become signals), then the NodeSDK with
// auto-instrumentations feeding the inproc receiver. alertpipe/register is this plus exit hooks.
import { register as registerLoaderHooks } from "node:module";
import type { Logger } from "pino";
import type { SchedulerLike } from "rxjs";
import type { ResolvedConfig } from "../config/load.ts";
import { type AlertPipelineHandle, loadConfig, startAlertPipeline } from "../service.ts";
import { withoutTracing } from "./bridge.ts";
import { inprocReceiverIds, toInprocessConfig } from "./config.ts";
import { createInprocReceiver, type InprocReceiver, inprocReceiverFactory } from "./receiver.ts";
import { type InprocSdkOptions, startInprocSdk } from "./sdk.ts";
import { UnrefScheduler } from "./unref-scheduler.ts";

export interface InprocessAlertingOptions {
  /** pipeline.yaml path; default ALERTPIPE_CONFIG, else ./pipeline.yaml, else the package default. */
  readonly configPath?: string;
  readonly configText?: string;
  readonly config?: ResolvedConfig;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  /** Default: wall clock with unref'd timers, so the host process can still exit. */
  readonly scheduler?: SchedulerLike;
  /** Serve /status from inside the process (default only when ALERTPIPE_STATUS_ENDPOINT is set). */
  readonly statusServer?: boolean;
  /** Start the NodeSDK with auto-instrumentations (default true); false to attach to your own SDK. */
  readonly sdk?: boolean;
  readonly instrumentations?: InprocSdkOptions["instrumentations"];
}

export interface InprocessAlertingHandle {
  readonly pipeline: AlertPipelineHandle;
  /** Attach receiver.metricReader() / spanProcessor() to your own providers when sdk is false. */
  readonly receiver: InprocReceiver;
  /** Flush the SDK (last metrics, spans) into the pipeline, then drain the pipeline. Idempotent. */
  shutdown(): Promise<void>;
}

let loaderHooksRegistered = false;

/** ESM loader hook so instrumentations also patch packages the app `import`s (not only require()s). */
function registerEsmInstrumentationHook(): void {
  if (loaderHooksRegistered) return;
  loaderHooksRegistered = true;
  registerLoaderHooks("@opentelemetry/instrumentation/hook.mjs", import.meta.url);
}

export async function startInprocessAlerting(
  options: InprocessAlertingOptions = {},
): Promise<InprocessAlertingHandle> {
  const env = options.env ?? process.env;
  const loaded =
    options.config ??
    (await loadConfig({
      configPath: options.configPath ?? env.ALERTPIPE_CONFIG,
      configText: options.configText,
      env,
    }));
  const { config, replaced } = toInprocessConfig(loaded, env);
  const scheduler = options.scheduler ?? new UnrefScheduler();
  const statusServer = options.statusServer ?? (env.ALERTPIPE_STATUS_ENDPOINT ? undefined : false);

  // Everything the pipeline starts (timers, exports, retries) inherits the suppressed context.
  const pipeline = await withoutTracing(() =>
    startAlertPipeline({
      config,
      env,
      scheduler,
      statusServer,
      ...(options.logger ? { logger: options.logger } : {}),
    }),
  );
  if (replaced.length > 0) {
    pipeline.logger.debug({ replaced }, "in-process: OTLP receivers replaced by the inproc receiver");
  }

  const ids = inprocReceiverIds(config);
  let receiver = pipeline.graph.receivers.find((r) => ids.includes(r.id))?.instance as
    | InprocReceiver
    | undefined;
  let standalone: InprocReceiver | undefined;
  if (!receiver) {
    // No pipeline lists a receiver for the process's signals: inject them into the first pipeline.
    standalone = createInprocReceiver(inprocReceiverFactory.configSchema.parse({}), {
      id: "inproc",
      scheduler,
      logger: pipeline.logger.child({ component: "inproc" }),
      configDir: config.configDir,
      env,
    });
    standalone.signals.subscribe((item) => pipeline.submit(item));
    await standalone.start();
    receiver = standalone;
  }

  let sdk: ReturnType<typeof startInprocSdk> | undefined;
  if (options.sdk ?? true) {
    registerEsmInstrumentationHook();
    sdk = startInprocSdk(receiver, {
      env,
      ...(options.instrumentations ? { instrumentations: options.instrumentations } : {}),
    });
  }

  let stopping: Promise<void> | undefined;
  return {
    pipeline,
    receiver,
    shutdown() {
      stopping ??= (async () => {
        // SDK first: its shutdown pulls the last metrics and ends the span processor.
        await sdk
          ?.shutdown()
          .catch((err: unknown) => pipeline.logger.warn({ err: String(err) }, "SDK shutdown failed"));
        await standalone?.shutdown();
        await pipeline.shutdown();
      })();
      return stopping;
    },
  };
}
