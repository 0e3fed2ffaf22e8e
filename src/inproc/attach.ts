// The alert pipeline inside the monitored process: config rewritten for in-process use, pipeline
// started with tracing suppressed (its own HTTP calls never become signals), then the NodeSDK with
// the instrumentations feeding the inproc receiver, beside the app's own OTEL_* exporters.
// alertpipe/register is this plus exit hooks. The SDK is loaded only here, when it is started.
import { register as registerLoaderHooks } from "node:module";
import type { Instrumentation } from "@opentelemetry/instrumentation";
import type { Logger } from "pino";
import type { SchedulerLike } from "rxjs";
import type { ResolvedConfig } from "../config/load.ts";
import { type AlertPipelineHandle, loadConfig, startAlertPipeline } from "../service.ts";
import { withoutTracing } from "./bridge.ts";
import { inprocReceiverIds, toInprocessConfig } from "./config.ts";
import type { InstrumentationConfigMap } from "./instrumentations.ts";
import { createInprocReceiver, type InprocReceiver, inprocReceiverFactory } from "./receiver.ts";
import type { InprocSdk } from "./sdk.ts";
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
  /** Start the NodeSDK with the instrumentations (default true); false to attach to your own SDK. */
  readonly sdk?: boolean;
  /** Settings for the built-in instrumentations (http, undici, pg), merged over alertpipe's defaults. */
  readonly instrumentations?: InstrumentationConfigMap;
  /** Instrumentations of your own, started beside the built-in ones. */
  readonly extraInstrumentations?: readonly Instrumentation[];
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

  let sdk: InprocSdk["sdk"] | undefined;
  if (options.sdk ?? true) {
    if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") {
      pipeline.logger.warn(
        "OTEL_SDK_DISABLED=true: the OpenTelemetry SDK stays off, so no spans or metrics reach alerting",
      );
    }
    try {
      const { startInprocSdk } = await import("./sdk.ts");
      // After alertpipe's own modules are loaded: only what the app imports from here on is hooked.
      registerEsmInstrumentationHook();
      const started = await startInprocSdk(receiver, {
        env,
        ...(options.instrumentations ? { instrumentations: options.instrumentations } : {}),
        ...(options.extraInstrumentations ? { extraInstrumentations: options.extraInstrumentations } : {}),
      });
      sdk = started.sdk;
      pipeline.logger.debug(
        { app_exporters: started.appExports },
        started.appExports
          ? "in-process: the app's OTEL_* exporters run beside alerting"
          : "in-process: no OTEL_* export configured, alerting only",
      );
    } catch (err) {
      await standalone?.shutdown();
      await pipeline.shutdown();
      throw err;
    }
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
