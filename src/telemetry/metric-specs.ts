// Self-metrics as a table: each spec names a Prometheus series family and reads its samples from a
// snapshot of the collector taken once per scrape (components' status(), the state store, the API),
// so the hot path pays nothing. registry.ts registers them on prom-client, which renders them.
import type { ComponentStatus } from "../component.ts";
import type { StateStoreStatus } from "../state/store.ts";

export type Labels = Readonly<Record<string, string>>;
export type Sample = readonly [labels: Labels, value: number];

/** One component as the scrape saw it. */
export interface ComponentView {
  readonly id: string;
  readonly type: string;
  readonly status: ComponentStatus;
}

/** Everything a scrape reads, taken once. */
export interface CollectorSnapshot {
  /** The pipeline's clock, ms (what `*_since` fields are on). */
  readonly nowMs: number;
  readonly uptimeSeconds: number;
  readonly receivers: readonly ComponentView[];
  readonly processors: readonly ComponentView[];
  readonly exporters: readonly ComponentView[];
  readonly state: StateStoreStatus;
  readonly postedAlerts: Readonly<Record<string, number>>;
  /** Firing alerts by Alertmanager state (active, suppressed, unprocessed). */
  readonly alertStates: Readonly<Record<string, number>>;
  /** Silences by state (active, pending, expired). */
  readonly silenceStates: Readonly<Record<string, number>>;
  readonly version: string;
}

export interface MetricSpec {
  /** Full name, `alertpipe_…`; counters end in `_total`. */
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge";
  readonly labels: readonly string[];
  samples(snapshot: CollectorSnapshot): Iterable<Sample>;
}

/** A finite number from a status field, else undefined. */
export function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** Seconds from an ISO time (a status `*_since` field) to `nowMs`; 0 when absent. */
export function secondsSince(iso: unknown, nowMs: number): number {
  const at = typeof iso === "string" ? Date.parse(iso) : Number.NaN;
  return Number.isFinite(at) ? Math.max(0, (nowMs - at) / 1000) : 0;
}

/** Samples of `key` per component among `views` that report it as a number. */
export function* perComponent(
  views: readonly ComponentView[],
  label: string,
  key: string,
  extra: Labels = {},
): Iterable<Sample> {
  for (const v of views) {
    const value = num(v.status[key]);
    if (value !== undefined) yield [{ [label]: v.id, ...extra }, value];
  }
}
