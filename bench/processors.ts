// Processor throughput: the eight seed rules → cooldown → throttle over 8 rules × 1 000 series,
// fused as the pipeline runs them and as one operator per processor,
// side by side in one run with a bare hand-written loop computing the same rules
// (bench/processors-bare.ts); plus the heap held by the alert state (needs --expose-gc).
// Both are called directly per point (the ratio is processors vs bare code); the fused chain is
// also measured behind an RxJS Subject, as the OTLP receiver feeds it (subject_fed_*).
// Run: node --expose-gc bench/processors.ts   (bench/run.ts imports `run`).
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { Observable, Subject, type Subscriber, VirtualTimeScheduler } from "rxjs";
import { cooldownFactory } from "../processors/cooldown.ts";
import type { RuleProcessor } from "../processors/rules/rule-engine.ts";
import { spikeFactory } from "../processors/spike.ts";
import { thresholdFactory } from "../processors/threshold.ts";
import { throttleFactory } from "../processors/throttle.ts";
import type { ComponentFactory, Processor } from "../src/component.ts";
import { fuseProcessors } from "../src/fuse.ts";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../src/service.ts";
import type { Attributes, Item, MetricPoint } from "../src/signal.ts";
import { BareRules } from "./processors-bare.ts";

const RESULTS = fileURLToPath(new URL("./results/processors.json", import.meta.url));
const SERIES = 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const ROUND_MS = 30_000; // one METRICS_COLLECTION_INTERVAL of virtual time per round
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

const scope = { name: "bench" };
function point(
  name: string,
  type: "gauge" | "sum",
  value: number,
  attributes: Attributes,
  resource: Attributes,
) {
  const base = { kind: "metric" as const, name, unit: "", attributes, resource, scope, time: 0 };
  return (
    type === "gauge" ? { ...base, type, value } : { ...base, type, value, monotonic: true }
  ) as MetricPoint;
}

/** One collection round: 1 000 series for each of the eight seed signals (≈1 % breaching gauges). */
export function round(r: number): MetricPoint[] {
  const out: MetricPoint[] = [];
  const bounds = [0.5, 1, 5, 10, 30];
  for (let i = 0; i < SERIES; i++) {
    const host = { "host.name": `host-${i}`, "service.name": `svc-${i}` };
    const hot = i % 100 === 7 && r >= 5;
    out.push(
      point("system.memory.utilization", "gauge", hot ? 0.9 : 0.5, { "system.memory.state": "used" }, host),
    );
    out.push(
      point(
        "system.filesystem.utilization",
        "gauge",
        0.4,
        { "system.filesystem.mountpoint": `/m${i % 4}` },
        host,
      ),
    );
    out.push(point("pipeline.health.score", "gauge", hot ? 20 : 90, {}, host));
    out.push(point("pipeline.db.failures", "sum", i % 500 === 0 ? 1 : 0, { worker: i }, host));
    out.push(
      point(
        "pipeline.rpc.calls",
        "sum",
        10,
        i % 50 === 0 ? { "error.type": "timeout" } : { worker: i },
        host,
      ),
    );
    out.push(
      point(
        "pipeline.validation.checks",
        "sum",
        10,
        { "validation.outcome": i % 20 === 0 ? "fail" : "pass" },
        host,
      ),
    );
    const roaster = { "roaster.id": `roaster-${i >> 1}`, platform: i % 2 ? "shopify" : "woo" };
    out.push(
      point(
        i % 2 ? "pipeline.artifacts.processed" : "pipeline.artifacts.review_flagged",
        "sum",
        i % 2 ? 20 : 2,
        roaster,
        host,
      ),
    );
    out.push({
      kind: "metric",
      type: "histogram",
      name: "http.client.request.duration",
      unit: "s",
      attributes: { worker: i },
      resource: host,
      scope,
      time: 0,
      bounds,
      bucketCounts: [5, 2, 1, 0, 0, 0],
      count: 8,
      sum: 3,
      max: 4,
    });
  }
  return out;
}

/** The processor sections of the shipped pipeline.yaml with the seed's defaults, through the real loader. */
async function seedSections(): Promise<Array<[string, unknown]>> {
  const config = await loadConfig({ configPath: DEFAULT_CONFIG_PATH, env: {} });
  return [...config.components.values()].filter((c) => c.kind === "processor").map((c) => [c.id, c.config]);
}

const factories: Record<string, ComponentFactory<"processor">> = {
  threshold: thresholdFactory as ComponentFactory<"processor">,
  spike: spikeFactory as ComponentFactory<"processor">,
  cooldown: cooldownFactory as ComponentFactory<"processor">,
  throttle: throttleFactory as ComponentFactory<"processor">,
};

/**
 * `fused`: as PipelineGraph.wire assembles it (fuseProcessors); otherwise one operator each.
 * `subject`: fed through an RxJS Subject as the OTLP receiver does (its per-item cost included);
 * otherwise straight into the chain's subscriber, like the bare loop's direct calls.
 */
export async function buildChain(scheduler: VirtualTimeScheduler, fused = true, subject = false) {
  const logger = pino({ level: "silent" });
  const rules: RuleProcessor[] = [];
  const tail: Processor[] = [];
  for (const [id, config] of await seedSections()) {
    const factory = factories[id.split("/")[0] as string];
    if (!factory) continue; // spanmetrics, exceptions, escalation, scrub: not part of this benchmark's chain
    const p = await factory.create(config, { id, scheduler, logger, configDir: ".", env: {} });
    // YAML order: the rules, then cooldown before throttle
    if (id.includes("/")) rules.push(p as RuleProcessor);
    else tail.push(p);
  }
  const { input, source } = subject ? subjectInput() : directInput();
  let stream = source;
  const chain = [...rules, ...tail];
  const operators = fused ? fuseProcessors(chain) : chain.map((p) => p.operator);
  for (const op of operators) stream = stream.pipe(op);
  let out = 0;
  let firing = 0;
  const sub = stream.subscribe((i) => {
    out++;
    if (i.kind === "alert") firing += i.status === "firing" ? 1 : 0;
    else if (i.kind === "digest") firing += i.alerts.filter((a) => a.status === "firing").length;
  });
  return { input, rules, tail, sub, counts: () => ({ out, firing }) };
}

/** Items go straight into the processors' subscriber: the chain's cost without the receiver's. */
function directInput(): { input: { next(item: Item): void }; source: Observable<Item> } {
  let target: Subscriber<Item> | undefined;
  const source = new Observable<Item>((subscriber) => {
    target = subscriber;
  });
  return { input: { next: (item) => target?.next(item) }, source };
}

/** As the OTLP receiver feeds the pipeline: an RxJS Subject. */
function subjectInput(): { input: { next(item: Item): void }; source: Observable<Item> } {
  const input = new Subject<Item>();
  return { input, source: input.asObservable() };
}

export function advance(scheduler: VirtualTimeScheduler, to: number): void {
  scheduler.maxFrames = to;
  scheduler.flush();
  scheduler.frame = to;
}

async function runProcessors(rounds: MetricPoint[][], fused: boolean, subject = false) {
  const scheduler = new VirtualTimeScheduler();
  const chain = await buildChain(scheduler, fused, subject);
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds.length; r++) {
    advance(scheduler, r * ROUND_MS);
    for (const p of rounds[r] as MetricPoint[]) chain.input.next(p);
  }
  // The last batch's ratio judgements (zero-delay actions) belong to the run too.
  advance(scheduler, rounds.length * ROUND_MS);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  chain.sub.unsubscribe();
  return { seconds, ...chain.counts() };
}

function runBare(rounds: MetricPoint[][]) {
  const bare = new BareRules();
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds.length; r++) {
    const now = r * ROUND_MS;
    for (const p of rounds[r] as MetricPoint[]) bare.handle(p, now);
    bare.flush();
  }
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, firing: bare.alerts };
}

async function measureStateHeap(rounds: MetricPoint[][]) {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return { note: "run with node --expose-gc to measure the alert state heap" };
  // Typed-array backing stores live outside the JS heap: count them too.
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  gc();
  const before = used();
  const scheduler = new VirtualTimeScheduler();
  const chain = await buildChain(scheduler);
  for (let r = 0; r < Math.min(rounds.length, 10); r++) {
    advance(scheduler, r * ROUND_MS);
    for (const p of rounds[r] as MetricPoint[]) chain.input.next(p);
  }
  gc();
  const after = used();
  const series = chain.rules.reduce((n, r) => n + Number(r.status().series), 0);
  const estimate = chain.rules.reduce((n, r) => n + Number(r.status().state_bytes_estimate), 0);
  const result = {
    heap_and_array_buffers_delta_mb: Number(((after - before) / 2 ** 20).toFixed(2)),
    state_bytes_estimate_mb: Number((estimate / 2 ** 20).toFixed(2)),
    series_tracked: series,
  };
  chain.sub.unsubscribe();
  return result;
}

export async function run(): Promise<Record<string, unknown>> {
  const rounds = Array.from({ length: ROUNDS }, (_, r) => round(r));
  const points = rounds.reduce((n, r) => n + r.length, 0);
  // Heap first, before the throughput runs leave garbage and freed buffers behind.
  const stateHeap = await measureStateHeap(rounds);
  const fused: number[] = [];
  const fromSubject: number[] = [];
  const chained: number[] = [];
  const bare: number[] = [];
  let alerts = { fused: 0, chained: 0, bare: 0 };
  for (let i = 0; i < REPEATS; i++) {
    const f = await runProcessors(rounds, true);
    const s = await runProcessors(rounds, true, true);
    const c = await runProcessors(rounds, false);
    const b = runBare(rounds);
    fused.push(points / f.seconds);
    fromSubject.push(points / s.seconds);
    chained.push(points / c.seconds);
    bare.push(points / b.seconds);
    alerts = { fused: f.firing, chained: c.firing, bare: b.firing };
  }
  const best = (xs: number[]) => Math.round(Math.max(...xs));
  const ratio = (xs: number[]) => Number((best(xs) / best(bare)).toFixed(3));
  const result: Record<string, unknown> = {
    benchmark: "processors",
    generatedAt: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    workload: {
      rules: 8,
      series_per_rule: SERIES,
      rounds: ROUNDS,
      points,
      virtual_minutes: (ROUNDS * ROUND_MS) / 60_000,
      chain: "8 seed rules → cooldown → throttle",
    },
    /** As the pipeline runs it: the whole chain fused into one operator. */
    processors_points_per_second: best(fused),
    /** The same fused chain fed through an RxJS Subject, as the OTLP receiver feeds the pipeline. */
    subject_fed_points_per_second: best(fromSubject),
    subject_fed_ratio: ratio(fromSubject),
    /** One RxJS operator per processor, for comparison. */
    chained_operators_points_per_second: best(chained),
    bare_loop_points_per_second: best(bare),
    ratio: ratio(fused),
    chained_ratio: ratio(chained),
    firing_alerts_delivered: alerts,
    runs: {
      fused: fused.map(Math.round),
      subject_fed: fromSubject.map(Math.round),
      chained: chained.map(Math.round),
      bare: bare.map(Math.round),
    },
    state_heap: stateHeap,
  };
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await run(), null, 2));
}
