// The throttle's promise kept where messages leave. A message stamped with its throttle window
// (route, window, max) starts only while fewer than `max` stamped messages reached the same
// destination in the last window, counted at their completion (a destination can only have seen a
// message by then; lanes send one at a time, so the next one arrives a full window later). The
// completion also re-stamps the throttle's admission in the store, so the throttle measures its
// window on the same clock of what was sent. Both logs are the store's throttle logs: shared by
// instances on Redis, durable on SQLite.
import type { Logger } from "pino";
import type { SchedulerLike } from "rxjs";
import type { SendWindow } from "../signal.ts";
import { andThen, type MaybePromise, type StateStore } from "../state/store.ts";
import type { OutboxRecord } from "./outbox.ts";
import { schedulerSleep } from "./timing.ts";

/** What the delivery queue asks before and after sending a stamped message. */
export interface SendLog {
  /** How long (ms) a message stamped `window` must wait before it goes to `destination` (0: now). */
  waitMs(destination: string, window: SendWindow, nowMs: number): Promise<number>;
  /** The message `recordId` stamped `window` reached `destination` at `atMs`. */
  sent(destination: string, window: SendWindow, recordId: string, atMs: number): Promise<void>;
}

/**
 * Store key of what reached one destination (beside the throttle's route logs): one log per
 * destination, so two routes (or pipelines) sending to one webhook share its limit.
 */
const destinationLog = (destination: string) => `\u001fsent\u001f${destination}`;
/** Admission without a limit: records (or re-stamps) a send. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/** A usable stamp: anything else (a plugin's own field, a mangled copy) is not gated. */
export function validWindow(window: SendWindow | undefined): window is SendWindow {
  return (
    window !== undefined &&
    typeof window.route === "string" &&
    typeof window.id === "string" &&
    Number.isFinite(window.windowMs) &&
    window.windowMs > 0 &&
    Number.isInteger(window.max) &&
    window.max > 0
  );
}

/** A notice rendered as several messages: each counts, the first under the throttle's admission. */
export function partWindow(window: SendWindow | undefined, part: number): SendWindow | undefined {
  if (!window || part === 0) return window;
  return { ...window, id: `${window.id}#${part}` };
}

/** When the next message may start, given the send times in the window (ascending). */
export function windowWaitMs(times: readonly number[], window: SendWindow, nowMs: number): number {
  const over = times.length - window.max;
  if (over < 0) return 0;
  return Math.max(1, (times[over] as number) + window.windowMs - nowMs);
}

export function storeSendLog(store: StateStore, logger: Logger): SendLog {
  const safely = async <T>(what: string, call: () => MaybePromise<T>, fallback: T): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      // The store is the only clock we have: without it, send rather than hold a message forever.
      logger.warn(
        { op: what, err: error instanceof Error ? error.message : String(error) },
        "send log failed",
      );
      return fallback;
    }
  };
  return {
    waitMs: (destination, window, nowMs) =>
      safely(
        "throttleWindow",
        () =>
          andThen(store.throttleWindow(destinationLog(destination), nowMs, window.windowMs), (t) =>
            windowWaitMs(t, window, nowMs),
          ),
        0,
      ),
    sent: (destination, window, recordId, atMs) =>
      safely(
        "throttleAdmit",
        () =>
          andThen(
            store.throttleAdmit(destinationLog(destination), atMs, window.windowMs, UNLIMITED, recordId),
            () =>
              andThen(
                store.throttleAdmit(window.route, atMs, window.windowMs, UNLIMITED, window.id),
                () => undefined,
              ),
          ),
        undefined,
      ),
  };
}

/** The delivery queue's side: what a lane asks before sending a record and tells after. */
export class WindowGate {
  readonly #log: SendLog;
  readonly #scheduler: SchedulerLike;
  readonly #logger: Logger;
  /** Aborted at shutdown on memory state: windows no longer hold messages (sent rather than lost). */
  readonly #lifted = new AbortController();

  constructor(log: SendLog, scheduler: SchedulerLike, logger: Logger) {
    this.#log = log;
    this.#scheduler = scheduler;
    this.#logger = logger;
  }

  lift(): void {
    this.#lifted.abort();
  }

  /**
   * Wait while the record's window holds it (until then, or until `abort`, else the lift); true when
   * it waited, so the lane looks again. Unstamped records never wait.
   */
  async hold(
    destination: { key: string; label: string },
    record: OutboxRecord<unknown>,
    abort: AbortSignal | false,
  ): Promise<boolean> {
    const wait = await this.waitMs(destination, record);
    if (wait <= 0) return false;
    await schedulerSleep(this.#scheduler, wait, abort || this.#lifted.signal);
    return true;
  }

  /** How long the record's window still holds it: 0 when unstamped, or lifted. */
  async waitMs(destination: { key: string; label: string }, record: OutboxRecord<unknown>): Promise<number> {
    const window = record.window;
    if (!validWindow(window)) return 0;
    const wait = await this.#log.waitMs(destination.key, window, this.#scheduler.now());
    if (wait <= 0 || !this.#lifted.signal.aborted) return wait;
    // Nothing keeps it past this process: sent over the limit rather than lost.
    this.#logger.warn(
      { destination: destination.label, rule: record.rule, route: window.route },
      "shutdown: sending a message its throttle window would still hold (memory state keeps nothing)",
    );
    return 0;
  }

  async sent(destination: { key: string }, record: OutboxRecord<unknown>): Promise<void> {
    if (validWindow(record.window))
      await this.#log.sent(destination.key, record.window, record.id, this.#scheduler.now());
  }
}
