// A collector's own telemetry: the journal of recent notices the web view shows, and the one
// measurement taken as it happens (delivery latency, per notice sent); everything else is read
// from the components' status at scrape time. The Prometheus side (registry.ts, prom-client) is
// loaded only when the status endpoint serves /metrics: in-process use never loads it.
import { NoticeJournal, type NoticeJournalOptions } from "./notice-journal.ts";
import { type NoticeEvent, type NoticeSink, noticeTime } from "./notices.ts";

export type LatencyObserver = (labels: { exporter: string; kind: string }, seconds: number) => void;

/** Observations made before /metrics is attached (the moments between intake and API start). */
const MAX_PENDING = 10_000;

export class Telemetry implements NoticeSink {
  readonly journal: NoticeJournal;
  #observe: LatencyObserver | undefined;
  #pending: Array<[{ exporter: string; kind: string }, number]> = [];

  constructor(options: { journal?: NoticeJournalOptions } = {}) {
    this.journal = new NoticeJournal(options.journal);
  }

  /** Where delivery latencies go from now on (the /metrics histogram); what came before is replayed. */
  observeLatency(observe: LatencyObserver): void {
    this.#observe = observe;
    for (const [labels, seconds] of this.#pending) observe(labels, seconds);
    this.#pending = [];
  }

  record(event: NoticeEvent): void {
    this.journal.record(event);
    if (event.outcome !== "sent") return;
    const labels = { exporter: event.component, kind: event.item.kind };
    const seconds = Math.max(0, event.at - noticeTime(event.item)) / 1000;
    if (this.#observe) this.#observe(labels, seconds);
    else if (this.#pending.length < MAX_PENDING) this.#pending.push([labels, seconds]);
  }
}
