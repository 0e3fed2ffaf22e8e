// Processor fusion: consecutive processors that offer a synchronous `stage` run as ONE RxJS
// operator (item → stage1.push → stage2.push → … → subscriber.next), so a point costs plain
// function calls instead of one Observable/Subscriber hop per processor. A processor's own
// `operator` is built by the same helper from its single stage: one implementation of the semantics.
import { Observable, type OperatorFunction } from "rxjs";
import type { Processor } from "./component.ts";
import { routeFrom } from "./fuse-route.ts";
import type { Item } from "./signal.ts";

export type Emit = (item: Item) => void;

/** One live instance of a processor's synchronous step, bound to its downstream `emit`. */
export interface ProcessorStage {
  /**
   * Handle one item; anything it (or later, its scheduler timers) produces goes to `emit`.
   * Called detached from the stage object (`this` is not bound): write it as an arrow/closure.
   */
  readonly push: (item: Item) => void;
  /** Upstream completed: flush what is held (into `emit`, still live) before the stream completes. */
  complete?(): void;
  /** Unsubscribed, errored or completed: stop timers and forget `emit`. */
  close?(): void;
  /** The items this stage acts on; it passes every other item on unchanged (fusion routes them past it). */
  readonly interest?: StageInterest;
}

export interface StageInterest {
  readonly kinds: readonly Item["kind"][];
  /** Metric points: only these names (absent: every metric point). */
  readonly metricNames?: ReadonlySet<string>;
}

/** Builds a stage per subscription; timer-driven emissions of the processor also go to `emit`. */
export type StageFactory = (emit: Emit) => ProcessorStage;

/** One operator running `factories` in order, per subscription. */
export function operatorFromStages(factories: readonly StageFactory[]): OperatorFunction<Item, Item> {
  return (source) =>
    new Observable<Item>((subscriber) => {
      const n = factories.length;
      const stages: ProcessorStage[] = new Array(n);
      // Built last-first so each stage's emit (the next interested stage's push) exists; chained
      // operators set up in the same order: the outermost subscribes first.
      const last: Emit = (item) => subscriber.next(item);
      for (let i = n - 1; i >= 0; i--)
        stages[i] = (factories[i] as StageFactory)(routeFrom(stages, i + 1, last));
      const head = routeFrom(stages, 0, last);
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        for (const s of stages) s.close?.();
      };
      const upstream = source.subscribe({
        next: (item) => {
          try {
            head(item);
          } catch (err) {
            subscriber.error(err);
          }
        },
        error: (err) => {
          close();
          subscriber.error(err);
        },
        complete: () => {
          // In order: each flush still reaches the stages after it.
          for (const s of stages) s.complete?.();
          close();
          subscriber.complete();
        },
      });
      return () => {
        close();
        upstream.unsubscribe();
      };
    });
}

/** The operators for processors in pipeline order: each run of stage-offering ones fused into one. */
export function fuseProcessors(processors: readonly Processor[]): OperatorFunction<Item, Item>[] {
  const operators: OperatorFunction<Item, Item>[] = [];
  let run: StageFactory[] = [];
  const flush = () => {
    if (run.length > 0) operators.push(operatorFromStages(run));
    run = [];
  };
  for (const p of processors) {
    if (p.stage) {
      run.push(p.stage);
      continue;
    }
    flush();
    operators.push(p.operator);
  }
  flush();
  return operators;
}
