import { map, Subject, timer } from "rxjs";
import { describe, expect, it } from "vitest";
import { cooldownFactory } from "../processors/cooldown.ts";
import { thresholdFactory } from "../processors/threshold.ts";
import { throttleFactory } from "../processors/throttle.ts";
import type { Processor } from "../src/component.ts";
import { type Emit, fuseProcessors, operatorFromStages, type StageFactory } from "../src/fuse.ts";
import type { Item } from "../src/signal.ts";
import { alert } from "./support/alerts.ts";
import { build } from "./support/processors.ts";
import { gauge, harness, MIN, SEC, VirtualClock } from "./support/virtual-clock.ts";

/** A stage that tags what passes and records its lifecycle calls. */
function recordingStage(name: string, log: string[], clock?: VirtualClock): StageFactory {
  return (emit: Emit) => {
    const tick = clock && timer(10 * SEC, clock.scheduler).subscribe(() => emit(gauge(`${name}.tick`, 0)));
    return {
      push: (item) => {
        log.push(`${name}:${item.kind === "metric" ? item.name : item.kind}`);
        emit(item);
        if (item.kind === "metric" && item.name === "trigger") emit(alert(`${name}_rule`));
      },
      complete: () => {
        log.push(`${name}:complete`);
        emit(gauge(`${name}.flushed`, 0));
      },
      close: () => {
        log.push(`${name}:close`);
        tick?.unsubscribe();
      },
    };
  };
}

const names = (items: readonly Item[]) =>
  items.map((i) => (i.kind === "metric" ? i.name : i.kind === "alert" ? `alert:${i.rule}` : i.kind));

describe("operatorFromStages", () => {
  it("runs stages in order, each stage's output going through the stages after it", () => {
    const log: string[] = [];
    const input = new Subject<Item>();
    const out: Item[] = [];
    input.pipe(operatorFromStages([recordingStage("a", log), recordingStage("b", log)])).subscribe((i) => {
      out.push(i);
    });
    input.next(gauge("trigger", 1));
    // a passes the point to b, then a's alert goes through b too; b's alert follows b's input.
    expect(names(out)).toEqual(["trigger", "alert:b_rule", "alert:a_rule"]);
    expect(log).toEqual(["a:trigger", "b:trigger", "b:alert"]);
  });

  it("sends timer emissions through the later stages, flushes in order on complete, then closes all", () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const input = new Subject<Item>();
    const out: Item[] = [];
    let completed = false;
    input
      .pipe(operatorFromStages([recordingStage("a", log, clock), recordingStage("b", log, clock)]))
      .subscribe({ next: (i) => out.push(i), complete: () => (completed = true) });
    clock.advanceTo(10 * SEC);
    expect(names(out).sort()).toEqual(["a.tick", "b.tick"]);
    expect(log).toContain("b:a.tick");
    input.complete();
    expect(completed).toBe(true);
    expect(log.slice(-5)).toEqual(["a:complete", "b:a.flushed", "b:complete", "a:close", "b:close"]);
    expect(names(out).slice(-2)).toEqual(["a.flushed", "b.flushed"]);
  });

  it("closes every stage on unsubscribe, and errors the stream when a stage throws", () => {
    const log: string[] = [];
    const input = new Subject<Item>();
    const sub = input.pipe(operatorFromStages([recordingStage("a", log)])).subscribe();
    sub.unsubscribe();
    expect(log).toEqual(["a:close"]);

    const failing: StageFactory = () => ({
      push: () => {
        throw new Error("boom");
      },
    });
    const errors: unknown[] = [];
    const log2: string[] = [];
    const input2 = new Subject<Item>();
    input2
      .pipe(operatorFromStages([recordingStage("a", log2), failing]))
      .subscribe({ error: (e) => errors.push(e) });
    input2.next(gauge("x", 1));
    expect(errors).toHaveLength(1);
    expect(log2).toEqual(["a:x", "a:close"]);
  });
});

describe("stage interest", () => {
  it("routes items past stages that declared no interest in them, keeping the order of the others", () => {
    const log: string[] = [];
    const ruleLike = (name: string, metric: string): StageFactory => {
      const inner = recordingStage(name, log)((item) => emit(item));
      let emit: Emit = () => {};
      return (downstream) => {
        emit = downstream;
        return { ...inner, interest: { kinds: ["metric"], metricNames: new Set([metric, "trigger"]) } };
      };
    };
    const alertsOnly: StageFactory = (emit) => ({
      push: (item) => {
        log.push(`alerts:${item.kind}`);
        emit(item);
      },
      interest: { kinds: ["alert"] },
    });
    const input = new Subject<Item>();
    const out: Item[] = [];
    input
      .pipe(operatorFromStages([ruleLike("a", "m.a"), ruleLike("b", "m.b"), alertsOnly]))
      .subscribe((i) => out.push(i));
    input.next(gauge("m.b", 1));
    input.next(gauge("other", 1));
    input.next(alert("x"));
    input.next(gauge("trigger", 1));
    // b never sees a's alert nor "other"; a never sees "m.b"; the alerts-only stage sees alerts only.
    expect(log).toEqual(["b:m.b", "alerts:alert", "a:trigger", "b:trigger", "alerts:alert", "alerts:alert"]);
    expect(names(out)).toEqual(["m.b", "other", "alert:x", "trigger", "alert:b_rule", "alert:a_rule"]);
  });
});

describe("fuseProcessors", () => {
  it("fuses each run of stage-offering processors and keeps the others' operators between them", () => {
    const stage: StageFactory = (emit) => ({ push: emit });
    const withStage = (): Processor => ({ stage, operator: operatorFromStages([stage]) });
    const custom: Processor = { operator: map((i: Item) => i) };
    expect(fuseProcessors([withStage(), withStage(), custom, withStage()])).toHaveLength(3);
    expect(fuseProcessors([custom, custom])).toHaveLength(2);
    expect(fuseProcessors([withStage(), withStage(), withStage()])).toHaveLength(1);
    expect(fuseProcessors([])).toHaveLength(0);
  });

  it("gives the same items at the same virtual times as one operator per processor (rule → cooldown → custom → throttle)", async () => {
    const rule = {
      metric: "system.memory.utilization",
      aggregation: "last",
      group_by: ["host.name"],
      scale: 100,
      op: "above",
      threshold: 85,
      check_interval: 60,
      keep_firing_for: 0,
    };
    const run = async (fused: boolean) => {
      const clock = new VirtualClock();
      const processors: Processor[] = [
        await build(thresholdFactory as never, "threshold/memory_usage", rule, clock),
        await build(cooldownFactory as never, "cooldown", { default: 5 }, clock),
        { operator: map((i: Item) => i) }, // a custom module: no stage
        await build(throttleFactory as never, "throttle", { window: 60, max_per_window: 1 }, clock),
      ];
      const ops = fused ? fuseProcessors(processors) : processors.map((p) => p.operator);
      expect(ops).toHaveLength(fused ? 3 : 4);
      const h = harness(clock);
      const stream = ops.reduce((s, op) => s.pipe(op), h.input.asObservable());
      stream.subscribe(h.collect);
      for (let m = 0; m < 20; m++) {
        clock.advanceTo(m * MIN + 5 * SEC);
        for (let host = 0; host < 4; host++) {
          const hot = (m + host) % 7 < 3; // flapping breaches per host: fire, resolve, re-fire in cooldown
          h.input.next(gauge("system.memory.utilization", hot ? 0.95 : 0.5, {}, { "host.name": `h${host}` }));
        }
      }
      clock.advanceTo(25 * MIN);
      h.input.complete(); // throttle flushes what it holds
      return h.out.map(({ at, item }) => ({ at, item: item.kind === "metric" ? item.name : item }));
    };
    const fused = await run(true);
    const chained = await run(false);
    expect(fused.some((o) => typeof o.item === "object" && o.item.kind === "digest")).toBe(true);
    expect(fused.filter((o) => typeof o.item === "object").length).toBeGreaterThan(5);
    expect(fused).toEqual(chained);
  });
});
