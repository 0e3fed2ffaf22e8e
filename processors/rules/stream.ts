// Plumbing shared by the stateful notice processors (cooldown, throttle, escalation): items they
// emit later, from scheduler timers, go to whichever stages are live at that moment.
import type { Logger } from "pino";
import type { OperatorFunction } from "rxjs";
import {
  type Emit,
  operatorFromStages,
  type ProcessorStage,
  type StageFactory,
  type StageInterest,
} from "../../src/fuse.ts";
import type { Alert, AlertLiveness, Item } from "../../src/signal.ts";

export class Outlets {
  private readonly emits = new Set<Emit>();

  add(emit: Emit): void {
    this.emits.add(emit);
  }

  delete(emit: Emit): void {
    this.emits.delete(emit);
  }

  get size(): number {
    return this.emits.size;
  }

  next(item: Item): void {
    for (const emit of this.emits) emit(item);
  }
}

/** What notice processors act on by default: alerts and the rules' word on restored ones. */
export const ALERT_KINDS: readonly Item["kind"][] = ["alert", "liveness"];

/** What notice processors handle: alerts, and rules' word on restored ones (AlertLiveness). */
export function isAlertState(item: Item): item is Alert | AlertLiveness {
  return item.kind === "alert" || item.kind === "liveness";
}

/**
 * A processor whose `handle` decides per alert (or alert liveness) what to emit (via `emit`;
 * other items pass unchanged), and whose `onComplete` may flush held items before the stream
 * completes. Returns the synchronous stage and the operator derived from it.
 */
export function statefulProcessor(
  outlets: Outlets,
  logger: Logger,
  handle: (item: Item, emit: Emit) => void,
  onComplete: (emit: Emit) => void = () => {},
  kinds: readonly Item["kind"][] = ALERT_KINDS,
): { stage: StageFactory; operator: OperatorFunction<Item, Item> } {
  const interest: StageInterest = { kinds };
  const takes = (item: Item) => kinds.includes(item.kind);
  const stage = (emit: Emit): ProcessorStage => {
    outlets.add(emit);
    return {
      push: (item) => {
        // Only alerts concern these processors: everything else passes on the fast path.
        if (!takes(item)) return emit(item);
        try {
          handle(item, emit);
        } catch (err) {
          // Never lose the item because our bookkeeping failed: pass it on as-is.
          logger.error({ err }, "processor failed on an item; passing it through");
          emit(item);
        }
      },
      complete: () => onComplete(emit),
      close: () => outlets.delete(emit),
      interest,
    };
  };
  return { stage, operator: operatorFromStages([stage]) };
}
