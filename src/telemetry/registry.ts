// The Prometheus side of the collector's telemetry (prom-client): a registry per collector, the
// delivery latency histogram fed by Telemetry, and the table of status-read series (metric-specs.ts)
// rendered at each scrape. Loaded on demand by the operating API.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { CollectorSnapshot, MetricSpec, Sample } from "./metric-specs.ts";
import type { Telemetry } from "./telemetry.ts";

/** Seconds: from a notice's making to its destination's acceptance (retries and rate limits included). */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];

const DELIVERY_LATENCY_METRIC = "alertpipe_exporter_delivery_latency_seconds";

export class MetricsRegistry {
  readonly #registry = new Registry();
  #current: CollectorSnapshot | undefined;

  constructor(telemetry: Telemetry) {
    const latency = new Histogram({
      name: DELIVERY_LATENCY_METRIC,
      help: "Time from a notice's making (the data that raised it) to its acceptance by the destination, seconds.",
      labelNames: ["exporter", "kind"],
      buckets: LATENCY_BUCKETS,
      registers: [this.#registry],
    });
    telemetry.observeLatency((labels, seconds) => latency.observe(labels, seconds));
  }

  get contentType(): string {
    return this.#registry.contentType;
  }

  /** Register every spec; each reads the snapshot `render` is given. A spec that throws yields nothing. */
  register(specs: readonly MetricSpec[], onError: (name: string, error: unknown) => void): void {
    for (const spec of specs) {
      const read = (): Sample[] => {
        const snapshot = this.#current;
        if (!snapshot) return [];
        try {
          return [...spec.samples(snapshot)];
        } catch (error) {
          onError(spec.name, error);
          return [];
        }
      };
      const base = {
        name: spec.name,
        help: spec.help,
        labelNames: [...spec.labels],
        registers: [this.#registry],
      };
      if (spec.type === "counter") {
        new Counter({
          ...base,
          collect() {
            this.reset();
            for (const [labels, value] of read()) this.inc(labels, Math.max(0, value));
          },
        });
      } else {
        new Gauge({
          ...base,
          collect() {
            this.reset();
            for (const [labels, value] of read()) this.set(labels, value);
          },
        });
      }
    }
  }

  /** The exposition of `snapshot` (every series reads it as rendering starts: prom-client's collect). */
  render(snapshot: CollectorSnapshot): Promise<string> {
    this.#current = snapshot;
    const rendering = this.#registry.metrics();
    this.#current = undefined;
    return rendering;
  }
}
