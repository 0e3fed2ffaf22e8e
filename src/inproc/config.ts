// Rewrites a collector config for running inside the monitored process: the process's own telemetry
// arrives through the `inproc` receiver, so OTLP listeners (which would fight over one port when a
// host runs several scrapers) are replaced by it.
import { durationMs } from "../config/duration.ts";
import type { ComponentSpec, ResolvedConfig } from "../config/load.ts";
import { type InprocConfig, inprocReceiverFactory } from "./receiver.ts";

const INPROC_ID = "inproc";

/** The rewritten config, and whether anything changed (for a log line). */
export function toInprocessConfig(
  config: ResolvedConfig,
  env: Readonly<Record<string, string | undefined>>,
): { config: ResolvedConfig; replaced: string[] } {
  const receiverType = (id: string) => config.components.get(`receivers:${id}`)?.factory.type;
  const declared = [...config.components.values()].find(
    (c) => c.kind === "receiver" && c.factory.type === "inproc",
  );
  const components = new Map(config.components);
  let inprocId = declared?.id;
  if (!inprocId) {
    inprocId = INPROC_ID;
    const interval = collectionIntervalMs(env);
    const spec: ComponentSpec = {
      id: inprocId,
      kind: "receiver",
      factory: inprocReceiverFactory,
      config: inprocReceiverFactory.configSchema.parse(
        interval === undefined ? {} : { export_interval: interval / 1000 },
      ) satisfies InprocConfig,
    };
    components.set(`receivers:${inprocId}`, spec);
  }
  const replaced = new Set<string>();
  const pipelines = config.pipelines.map((p) => {
    const receivers: string[] = [];
    let hadOtlp = false;
    for (const id of p.receivers) {
      if (receiverType(id) === "otlp") {
        replaced.add(id);
        hadOtlp = true;
        continue;
      }
      if (!receivers.includes(id)) receivers.push(id);
    }
    if (hadOtlp && !receivers.includes(inprocId)) receivers.unshift(inprocId);
    return { ...p, receivers };
  });
  return { config: { ...config, components, pipelines }, replaced: [...replaced] };
}

/** METRICS_COLLECTION_INTERVAL: seconds as the guide has it, or a duration (30s, 1m); unset = the default. */
function collectionIntervalMs(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const text = env.METRICS_COLLECTION_INTERVAL?.trim();
  if (!text) return undefined;
  const ms = durationMs(text, "s");
  if (ms === undefined || !(ms > 0))
    throw new Error(
      `METRICS_COLLECTION_INTERVAL: expected a positive number of seconds or a duration (e.g. 30s, 1m), got ${JSON.stringify(text)}`,
    );
  return ms;
}

/** The `inproc` receiver ids the config's pipelines use. */
export function inprocReceiverIds(config: ResolvedConfig): string[] {
  const ids = new Set(config.pipelines.flatMap((p) => p.receivers));
  return [...ids].filter((id) => config.components.get(`receivers:${id}`)?.factory.type === "inproc");
}
