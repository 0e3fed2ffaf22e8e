// The recent notices of this collector, newest last, in a bounded ring (by count and by age): what
// the web view's timeline shows. Each entry is a compact copy (no digest's full alert list), so the
// ring's memory stays bounded whatever a storm sends through it.
import type { AlertStatus, Severity } from "../signal.ts";
import { digestCount } from "../signal.ts";
import { type NoticeEvent, type NoticeOutcome, noticeTime } from "./notices.ts";

export interface JournalEntry {
  readonly at: number;
  readonly outcome: NoticeOutcome;
  readonly component: string;
  readonly kind: "alert" | "digest" | "error";
  /** The alert's rule; "digest"; or an error's component. */
  readonly rule: string;
  readonly status?: AlertStatus;
  readonly severity?: Severity;
  readonly summary: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** A digest: how many alerts it accounts for. */
  readonly count?: number;
  /** A "while silenced" digest: the silence's comment. */
  readonly silence?: string;
  readonly destination?: string;
  readonly reason?: string;
  /** Sent: from the notice's making to the destination's acceptance, ms. */
  readonly latencyMs?: number;
}

export interface NoticeJournalOptions {
  /** Most entries kept. */
  readonly capacity?: number;
  /** Entries older than this are dropped, ms. */
  readonly maxAgeMs?: number;
}

const SUMMARY_CHARS = 300;
const clip = (text: string) => (text.length > SUMMARY_CHARS ? `${text.slice(0, SUMMARY_CHARS - 1)}…` : text);

/** The compact entry an event is kept as. */
export function journalEntry(event: NoticeEvent): JournalEntry {
  const { item, outcome, component, at } = event;
  const base = {
    at,
    outcome,
    component,
    ...(event.destination !== undefined ? { destination: event.destination } : {}),
    ...(event.reason !== undefined ? { reason: clip(event.reason) } : {}),
    ...(outcome === "sent" ? { latencyMs: Math.max(0, at - noticeTime(item)) } : {}),
  };
  if (item.kind === "alert") {
    return {
      ...base,
      kind: "alert",
      rule: item.rule,
      status: item.status,
      severity: item.severity,
      summary: clip(item.summary),
      labels: item.labels,
    };
  }
  if (item.kind === "digest") {
    const count = digestCount(item);
    const what = item.silence ? `muted while silenced (${item.silence.comment})` : "held by the throttle";
    return {
      ...base,
      kind: "digest",
      rule: "digest",
      summary: clip(`${count} alert${count === 1 ? "" : "s"} ${what}`),
      count,
      ...(item.silence ? { silence: clip(item.silence.comment) } : {}),
    };
  }
  return {
    ...base,
    kind: "error",
    rule: item.component,
    summary: clip(`${item.error.type}: ${item.error.message}`),
  };
}

export class NoticeJournal {
  readonly #capacity: number;
  readonly #maxAgeMs: number;
  readonly #ring: Array<JournalEntry | undefined>;
  /** Index of the next write; entries run from it (oldest) round to it again (newest). */
  #next = 0;
  #size = 0;

  constructor(options: NoticeJournalOptions = {}) {
    this.#capacity = Math.max(1, options.capacity ?? 1000);
    this.#maxAgeMs = options.maxAgeMs ?? 6 * 3_600_000;
    this.#ring = new Array(this.#capacity);
  }

  get maxAgeMs(): number {
    return this.#maxAgeMs;
  }

  record(event: NoticeEvent): void {
    this.#ring[this.#next] = journalEntry(event);
    this.#next = (this.#next + 1) % this.#capacity;
    this.#size = Math.min(this.#capacity, this.#size + 1);
  }

  /** Entries within the age limit at `nowMs`, oldest first. */
  recent(nowMs: number): JournalEntry[] {
    const out: JournalEntry[] = [];
    const from = nowMs - this.#maxAgeMs;
    for (let i = 0; i < this.#size; i++) {
      const entry = this.#ring[(this.#next - this.#size + i + this.#capacity) % this.#capacity];
      if (entry && entry.at > from) out.push(entry);
    }
    return out;
  }
}
