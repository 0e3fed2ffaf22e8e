// Plumbing for notice processors backed by a StateStore (cooldown, throttle, escalation).
//
// memory/SQLite stores answer synchronously: every step then runs at once, inside the caller, so
// virtual-time tests see exactly the in-memory behaviour. A Redis store answers with promises: steps
// then queue behind the one in flight (alerts and timer releases keep their order), while metric
// points and spans never wait — only alerts, which are rare, go through the queue.
import type { Logger } from "pino";
import { Observable, type OperatorFunction } from "rxjs";
import type { Emit, StageFactory } from "../src/fuse.ts";
import type { Item } from "../src/signal.ts";
import { isPromise, type MaybePromise } from "../src/state/store.ts";
import { ALERT_KINDS, type Outlets, statefulProcessor } from "./rules/stream.ts";

export type { Emit };

/** Runs steps one after the other; synchronous steps run immediately while nothing is pending. */
export class Sequencer {
  #tail: Promise<void> | undefined;
  #pending = 0;
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Steps queued or running asynchronously. */
  get pending(): number {
    return this.#pending;
  }

  /** Run `step` after everything queued before it; `onError` keeps the item when the step throws. */
  run(step: () => MaybePromise<void>, onError: (err: unknown) => void): void {
    if (this.#tail === undefined) {
      let result: MaybePromise<void>;
      try {
        result = step();
      } catch (err) {
        onError(err);
        return;
      }
      if (isPromise(result)) this.#chain(result, onError);
      return;
    }
    this.#chain(
      this.#tail.then(() => step()),
      onError,
    );
  }

  #chain(running: Promise<void>, onError: (err: unknown) => void): void {
    this.#pending++;
    const tail: Promise<void> = running
      .catch((err: unknown) => {
        try {
          onError(err);
        } catch (inner) {
          this.#logger.error({ err: String(inner) }, "processor error handler failed");
        }
      })
      .finally(() => {
        this.#pending--;
        if (this.#tail === tail) this.#tail = undefined;
      });
    this.#tail = tail;
  }

  /** Resolves once everything queued so far has run. */
  async idle(): Promise<void> {
    while (this.#tail !== undefined) await this.#tail;
  }
}

/**
 * Call the store; when the call throws or rejects, warn and use the local decision instead, so a
 * store problem never costs an alert.
 */
export function guarded<T>(
  logger: Logger,
  what: string,
  call: () => MaybePromise<T>,
  local: () => T,
): MaybePromise<T> {
  const fallback = (err: unknown): T => {
    logger.warn({ err: errorMessage(err), op: what }, "state store call failed; deciding locally");
    return local();
  };
  try {
    const result = call();
    return isPromise(result) ? result.catch(fallback) : result;
  } catch (err) {
    return fallback(err);
  }
}

/** Fire-and-forget store write (persisted snapshots): failures are logged, never thrown. */
export function persist(logger: Logger, what: string, write: () => MaybePromise<void>): void {
  try {
    const result = write();
    if (isPromise(result)) {
      result.catch((err: unknown) =>
        logger.warn({ err: errorMessage(err), op: what }, "state store write failed"),
      );
    }
  } catch (err) {
    logger.warn({ err: errorMessage(err), op: what }, "state store write failed");
  }
}

function errorMessage(err: unknown): string {
  // Connection errors may carry a redis URL: strip credentials.
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\/\/[^/@\s]*@/g, "//");
}

/**
 * The operator of a processor whose store answers asynchronously: alerts go to `handle` (which
 * queues on `sequencer`); completion waits until the queue is empty, then `onComplete` flushes.
 */
export function sequencedOperator(
  outlets: { add(emit: Emit): void; delete(emit: Emit): void },
  sequencer: Sequencer,
  logger: Logger,
  handle: (item: Item, emit: Emit) => void,
  onComplete: (emit: Emit) => void = () => {},
  kinds: readonly Item["kind"][] = ALERT_KINDS,
): OperatorFunction<Item, Item> {
  return (source) =>
    new Observable<Item>((subscriber) => {
      const emit: Emit = (item) => subscriber.next(item);
      outlets.add(emit);
      const upstream = source.subscribe({
        next: (item) => {
          if (!kinds.includes(item.kind)) return subscriber.next(item);
          try {
            handle(item, emit);
          } catch (err) {
            logger.error({ err: String(err) }, "processor failed on an item; passing it through");
            subscriber.next(item);
          }
        },
        error: (err) => {
          outlets.delete(emit);
          subscriber.error(err);
        },
        complete: () => {
          void sequencer.idle().then(() => {
            try {
              onComplete(emit);
            } finally {
              outlets.delete(emit);
              subscriber.complete();
            }
          });
        },
      });
      return () => {
        outlets.delete(emit);
        upstream.unsubscribe();
      };
    });
}

/** Whether the store answers with promises (then processors queue alerts instead of fusing). */
export function storeIsAsync(store: { backend: string } | undefined): boolean {
  return store?.backend === "redis";
}

/** Retry delay of a release that found no subscriber (restored state, pipeline not wired yet). */
export const RESUBSCRIBE_WAIT_MS = 1000;

/**
 * A notice processor's stream: a fusable synchronous stage when its store answers synchronously
 * (memory, SQLite), else an operator that keeps alerts in order across store round trips (Redis).
 */
export function noticeStream(
  store: { backend: string } | undefined,
  parts: {
    outlets: Outlets;
    sequencer: Sequencer;
    logger: Logger;
    handle: (item: Item, emit: Emit) => void;
    onComplete?: (emit: Emit) => void;
    /** Item kinds `handle` is given (default: alerts and alert livenesses); the rest pass. */
    kinds?: readonly Item["kind"][];
  },
): { stage?: StageFactory; operator: OperatorFunction<Item, Item> } {
  const { outlets, sequencer, logger, handle, onComplete, kinds } = parts;
  return storeIsAsync(store)
    ? { operator: sequencedOperator(outlets, sequencer, logger, handle, onComplete, kinds) }
    : statefulProcessor(outlets, logger, handle, onComplete, kinds);
}
