// A collector's own telemetry: the Prometheus registry /metrics exposes, the journal of recent
// notices the web view shows, and the one measurement taken as it happens (delivery latency, per
// notice sent); everything else is read from the components' status at scrape time.
import { Histogram, Registry } from "prom-client";
import { NoticeJournal, type NoticeJournalOptions } from "./notice-journal.ts";
import { type NoticeEvent, type NoticeSink, noticeTime } from "./notices.ts";

/** Seconds: from a notice's making to its destination's acceptance (retries and rate limits included). */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];

export const DELIVERY_LATENCY_METRIC = "alertpipe_exporter_delivery_latency_seconds";

export class Telemetry implements NoticeSink {
  readonly registry = new Registry();
  readonly journal: NoticeJournal;
  readonly #latency: Histogram<"exporter" | "kind">;

  constructor(options: { journal?: NoticeJournalOptions } = {}) {
    this.journal = new NoticeJournal(options.journal);
    this.#latency = new Histogram({
      name: DELIVERY_LATENCY_METRIC,
      help: "Time from a notice's making (the data that raised it) to its acceptance by the destination, seconds.",
      labelNames: ["exporter", "kind"],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
  }

  record(event: NoticeEvent): void {
    this.journal.record(event);
    if (event.outcome !== "sent") return;
    const seconds = Math.max(0, event.at - noticeTime(event.item)) / 1000;
    this.#latency.observe({ exporter: event.component, kind: event.item.kind }, seconds);
  }
}
