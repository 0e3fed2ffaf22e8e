// What became of a notice, told by the component where it happened: an exporter (sent, failed,
// handed off to another instance), the silence processor (muted) or the throttle (held). The
// collector keeps the recent ones for the web view's timeline and times deliveries for /metrics.
import type { Alert, Digest, ErrorEvent } from "../signal.ts";

export type NoticeOutcome = "sent" | "failed" | "handed_off" | "muted" | "held";

export type Notice = Alert | Digest | ErrorEvent;

export interface NoticeEvent {
  readonly outcome: NoticeOutcome;
  readonly item: Notice;
  /** Id of the component reporting it, e.g. "slack" or "silence". */
  readonly component: string;
  /** When it happened (the pipeline's clock, ms). */
  readonly at: number;
  /** Where it went (exporters), redacted as status shows it. */
  readonly destination?: string;
  /** Why it failed (redacted), or which silences muted it. */
  readonly reason?: string;
}

/** Where components report notices (`ComponentContext.notices`); absent in bare tests. */
export interface NoticeSink {
  record(event: NoticeEvent): void;
}

/** When a notice was made: what its delivery latency counts from. */
export function noticeTime(item: Notice): number {
  return item.kind === "error" ? item.time : item.at;
}
