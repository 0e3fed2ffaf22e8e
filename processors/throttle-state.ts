// A throttle's state in one object (per-route windows and holds, counters) and the status it shows.
import type { Subscription } from "rxjs";
import type { AlertMark, Processor } from "../src/component.ts";
import type { HeldAlerts } from "./throttle-held.ts";

export interface RouteState {
  /** Send times inside the rolling window, oldest first (this instance's own; used without a store). */
  sent: number[];
  readonly held: HeldAlerts;
  heldSince: number;
  timer?: Subscription;
  /** When the pending release check runs. */
  dueAt?: number;
  /** The current hold has been logged. */
  announced: boolean;
}

/** All throttle state in one object; with a StateStore the window and held alerts are also stored. */
export class ThrottleState {
  readonly routes = new Map<string, RouteState>();
  /** Fingerprints currently firing that went through (or are held: they go out, listed or counted). */
  readonly active = new Set<string>();
  /** One-shot notices (no resolve follows) by fingerprint, with when they went through: active for a window. */
  readonly oneShots = new Map<string, number>();
  digested = 0;
  digests = 0;
  sentTotal = 0;
  /** Held alerts counted in a summary instead of listed. */
  summarised = 0;
  /** Digests made upstream (a silence's) that had to wait for the window. */
  delayedDigests = 0;
}

/** A type, not an interface: status() results are records. */
export type ThrottleStatus = {
  active_alerts: number;
  /** Alerts held now, listed and counted. */
  held: number;
  /** Of those, counted per rule past max_held_alerts. */
  held_summarised: number;
  /** Digests made upstream (a silence's "while silenced") held now, each sent whole when the window allows. */
  held_digests: number;
  /** Such digests that had to wait for the window, since start. */
  delayed_digests: number;
  digested: number;
  digests_sent: number;
  /** Alerts ever counted in a digest's summary lines instead of listed. */
  summarised: number;
  sent_total: number;
  sent_in_window: Record<string, number>;
  /** Per route that holds alerts: when the next digest may go. */
  next_digest_at: Record<string, string>;
  window_seconds: number;
  max_per_window: number;
  max_held_alerts: number;
};

export const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** What /status shows (windows and one-shots pruned by the caller). */
export function throttleStatus(
  state: ThrottleState,
  config: { window: number; max_per_window: number; max_held_alerts: number },
): ThrottleStatus {
  const sentInWindow: Record<string, number> = {};
  const nextDigestAt: Record<string, string> = {};
  let held = 0;
  let heldSummarised = 0;
  let heldDigests = 0;
  for (const [name, r] of state.routes) {
    sentInWindow[name] = r.sent.length;
    held += r.held.size;
    heldSummarised += r.held.summarised;
    heldDigests += r.held.digests;
    const due = iso(r.dueAt);
    if (due !== undefined && r.held.size > 0) nextDigestAt[name] = due;
  }
  return {
    active_alerts: state.active.size + state.oneShots.size,
    held,
    held_summarised: heldSummarised,
    held_digests: heldDigests,
    delayed_digests: state.delayedDigests,
    digested: state.digested,
    digests_sent: state.digests,
    summarised: state.summarised,
    sent_total: state.sentTotal,
    sent_in_window: sentInWindow,
    next_digest_at: nextDigestAt,
    window_seconds: config.window,
    max_per_window: config.max_per_window,
    max_held_alerts: config.max_held_alerts,
  };
}

export interface ThrottleProcessor extends Processor {
  readonly state: ThrottleState;
  status(): ThrottleStatus;
  shutdown(): Promise<void>;
}

/** The alerts each route holds listed, with when the next digest may go (the web view's "held"). */
export function* heldMarks(state: ThrottleState): Iterable<AlertMark> {
  for (const [route, r] of state.routes)
    for (const fingerprint of r.held.fingerprints())
      yield { fingerprint, mark: "held", route, ...(r.dueAt !== undefined ? { until: r.dueAt } : {}) };
}
