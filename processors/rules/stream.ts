// Plumbing shared by the stateful notice processors (cooldown, throttle, escalation): items they
// emit later, from scheduler timers, go to whoever is subscribed at that moment.
import type { Logger } from "pino";
import { Observable, type OperatorFunction, type Subscriber } from "rxjs";
import type { Item } from "../../src/signal.ts";

export class Outlets {
  private readonly subscribers = new Set<Subscriber<Item>>();

  add(s: Subscriber<Item>): void {
    this.subscribers.add(s);
  }

  delete(s: Subscriber<Item>): void {
    this.subscribers.delete(s);
  }

  get size(): number {
    return this.subscribers.size;
  }

  next(item: Item): void {
    for (const s of this.subscribers) s.next(item);
  }
}

/**
 * An operator whose `handle` decides per alert what to emit (via `emit`; other items pass
 * unchanged), and whose `onComplete` may flush held items before the stream completes.
 */
export function statefulOperator(
  outlets: Outlets,
  logger: Logger,
  handle: (item: Item, emit: (item: Item) => void) => void,
  onComplete: (emit: (item: Item) => void) => void = () => {},
): OperatorFunction<Item, Item> {
  return (source) =>
    new Observable<Item>((subscriber) => {
      outlets.add(subscriber);
      const emit = (item: Item) => subscriber.next(item);
      const upstream = source.subscribe({
        next: (item) => {
          // Only alerts concern these processors: everything else passes on the fast path.
          if (item.kind !== "alert") {
            subscriber.next(item);
            return;
          }
          try {
            handle(item, emit);
          } catch (err) {
            // Never lose the item because our bookkeeping failed: pass it on as-is.
            logger.error({ err }, "processor failed on an item; passing it through");
            subscriber.next(item);
          }
        },
        error: (err) => {
          outlets.delete(subscriber);
          subscriber.error(err);
        },
        complete: () => {
          onComplete(emit);
          outlets.delete(subscriber);
          subscriber.complete();
        },
      });
      return () => {
        outlets.delete(subscriber);
        upstream.unsubscribe();
      };
    });
}
