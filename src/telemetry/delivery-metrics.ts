// Self-metrics of exporters (per destination: sent, failed, retried, queue depth and age), the
// state store and the process, shaped like the OTel Collector's (`otelcol_exporter_sent_*`,
// `otelcol_exporter_queue_size`, `otelcol_process_*`). Destinations are named by their key
// (`default`, `escalation`, `sentry`), never by their URL.
import type { DestinationStatus } from "../delivery/queue-types.ts";
import type { CollectorSnapshot, Labels, MetricSpec, Sample } from "./metric-specs.ts";
import { num, secondsSince } from "./metric-specs.ts";

interface DestinationView {
  readonly labels: Labels;
  readonly status: DestinationStatus;
}

/** The destination label: its key without the exporter's id (`slack:default` → `default`). */
export function destinationName(exporter: string, key: string): string {
  return key.startsWith(`${exporter}:`) ? key.slice(exporter.length + 1) : key === exporter ? "default" : key;
}

function destinations(s: CollectorSnapshot): DestinationView[] {
  const out: DestinationView[] = [];
  for (const e of s.exporters) {
    const delivery = e.status.delivery as { destinations?: readonly DestinationStatus[] } | undefined;
    for (const d of delivery?.destinations ?? []) {
      const key = typeof d.key === "string" ? d.key : d.destination;
      out.push({ labels: { exporter: e.id, destination: destinationName(e.id, key) }, status: d });
    }
  }
  return out;
}

function destinationSpec(
  name: string,
  help: string,
  type: MetricSpec["type"],
  value: (d: DestinationStatus, s: CollectorSnapshot) => number | undefined,
): MetricSpec {
  return {
    name,
    help,
    type,
    labels: ["exporter", "destination"],
    *samples(s) {
      for (const d of destinations(s)) {
        const v = value(d.status, s);
        if (v !== undefined) yield [d.labels, v];
      }
    },
  };
}

/** Exporters without a delivery queue that count what they wrote (the console). */
function* printed(s: CollectorSnapshot): Iterable<Sample> {
  for (const e of s.exporters) {
    const n = num(e.status.printed);
    if (n !== undefined && e.status.delivery === undefined)
      yield [{ exporter: e.id, destination: "console" }, n];
  }
}

export const exporterMetrics: readonly MetricSpec[] = [
  {
    name: "alertpipe_exporter_sent_notices_total",
    help: "Notices (Slack messages, Sentry events, console lines) the destination accepted.",
    type: "counter",
    labels: ["exporter", "destination"],
    *samples(s) {
      for (const d of destinations(s)) yield [d.labels, d.status.delivered];
      yield* printed(s);
    },
  },
  destinationSpec(
    "alertpipe_exporter_send_failed_notices_total",
    "Notices given up and recorded as undeliverable (permanent error, retry time or attempts used up, queue full).",
    "counter",
    (d) => d.failed,
  ),
  destinationSpec(
    "alertpipe_exporter_send_retries_total",
    "Failed attempts that were retried (transient errors and rate limits).",
    "counter",
    (d) => d.retried,
  ),
  destinationSpec(
    "alertpipe_exporter_rate_limited_total",
    "Attempts the destination answered with 429 (Retry-After honoured).",
    "counter",
    (d) => d.rate_limited,
  ),
  destinationSpec(
    "alertpipe_exporter_handed_off_notices_total",
    "Notices another record or instance delivered (shared outbox on Redis or SQLite).",
    "counter",
    (d) => d.handed_off,
  ),
  destinationSpec(
    "alertpipe_exporter_queue_size",
    "Notices waiting for delivery to the destination.",
    "gauge",
    (d) => d.pending,
  ),
  {
    name: "alertpipe_exporter_queue_capacity",
    help: "Notices a destination's queue takes before it refuses new ones (max_pending).",
    type: "gauge",
    labels: ["exporter"],
    *samples(s) {
      for (const e of s.exporters) {
        const max = num((e.status.delivery as { max_pending?: unknown } | undefined)?.max_pending);
        if (max !== undefined) yield [{ exporter: e.id }, max];
      }
    },
  },
  destinationSpec(
    "alertpipe_exporter_queue_oldest_age_seconds",
    "Age of the oldest notice this instance still has to deliver to the destination (0 when none).",
    "gauge",
    (d, s) => secondsSince(d.oldest_pending_since, s.nowMs),
  ),
  destinationSpec(
    "alertpipe_exporter_in_flight_requests",
    "Requests to the destination on the wire now.",
    "gauge",
    (d) => d.in_flight,
  ),
  destinationSpec(
    "alertpipe_exporter_failing_seconds",
    "How long every attempt to the destination has failed (0 while it works).",
    "gauge",
    (d, s) => secondsSince(d.failing_since, s.nowMs),
  ),
];

export const stateMetrics: readonly MetricSpec[] = [
  {
    name: "alertpipe_state_store_info",
    help: "The state store in use (1), by backend and schema version.",
    type: "gauge",
    labels: ["backend", "schema_version"],
    samples: (s) => [[{ backend: s.state.backend, schema_version: String(s.state.schema_version) }, 1]],
  },
  {
    name: "alertpipe_state_store_degraded",
    help: "1 while the state store cannot keep what it is given (Redis away, SQLite not writable); alerting goes on from memory.",
    type: "gauge",
    labels: ["backend"],
    samples: (s) => [[{ backend: s.state.backend }, s.state.degraded ? 1 : 0]],
  },
  {
    name: "alertpipe_state_store_degraded_seconds",
    help: "How long the state store has been degraded (0 when healthy).",
    type: "gauge",
    labels: ["backend"],
    samples: (s) => {
      const since = s.state.degraded_since_ms;
      return [
        [{ backend: s.state.backend }, since === undefined ? 0 : Math.max(0, (s.nowMs - since) / 1000)],
      ];
    },
  },
  {
    name: "alertpipe_state_store_unsaved_notices",
    help: "Notices and settlements held only in memory because the store cannot write them yet.",
    type: "gauge",
    labels: ["backend"],
    samples: (s) => [[{ backend: s.state.backend }, s.state.unsaved ?? 0]],
  },
  {
    name: "alertpipe_state_store_dead_letters",
    help: "Permanently failed deliveries kept in the store (as last counted).",
    type: "gauge",
    labels: ["backend"],
    samples: (s) => [[{ backend: s.state.backend }, s.state.dead_letters]],
  },
  {
    name: "alertpipe_state_store_reconciliations_total",
    help: "Times local state was pushed back to the shared store after an outage.",
    type: "counter",
    labels: ["backend"],
    samples: (s) => [[{ backend: s.state.backend }, s.state.reconciliations ?? 0]],
  },
];

export const processMetrics: readonly MetricSpec[] = [
  {
    name: "alertpipe_build_info",
    help: "alertpipe's version and Node.js runtime (1).",
    type: "gauge",
    labels: ["version", "node"],
    samples: (s) => [[{ version: s.version, node: process.version }, 1]],
  },
  {
    name: "alertpipe_process_uptime_seconds",
    help: "Seconds since the collector started.",
    type: "gauge",
    labels: [],
    samples: (s) => [[{}, s.uptimeSeconds]],
  },
  {
    name: "alertpipe_process_memory_rss_bytes",
    help: "Resident set size of the process, bytes.",
    type: "gauge",
    labels: [],
    samples: () => [[{}, process.memoryUsage.rss()]],
  },
  {
    name: "alertpipe_process_runtime_heap_alloc_bytes",
    help: "V8 heap in use, bytes.",
    type: "gauge",
    labels: [],
    samples: () => [[{}, process.memoryUsage().heapUsed]],
  },
  {
    name: "alertpipe_process_cpu_seconds_total",
    help: "CPU time (user + system) the process used, seconds.",
    type: "counter",
    labels: [],
    samples: () => {
      const { user, system } = process.cpuUsage();
      return [[{}, (user + system) / 1e6]];
    },
  },
];
