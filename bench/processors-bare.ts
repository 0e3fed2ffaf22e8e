// The hand-written baseline for bench/processors.ts: the eight seed rules as one bare loop with
// specialised state (ring sums, last values, merged buckets, cooldown map), no RxJS, no config.
// Like the rules, ratios are judged once per batch (`flush`), both of their windows slid first.
import type { Item } from "../src/signal.ts";

const RES = 30;

class Ring {
  readonly slotMs: number;
  readonly total: number;
  readonly sums: Float64Array;
  head = -1;
  /** Ring index of `head`. */
  pos = 0;
  recent = 0;
  base = 0;
  constructor(windowMs: number, baselineMs: number) {
    this.slotMs = windowMs / RES;
    this.total = RES + Math.round(baselineMs / this.slotMs);
    this.sums = new Float64Array(this.total);
  }
  add(now: number, v: number): void {
    this.advance(now);
    this.sums[this.pos] = (this.sums[this.pos] as number) + v;
    this.recent += v;
  }
  advance(now: number): void {
    const slot = Math.floor(now / this.slotMs);
    if (this.head < 0) {
      this.head = slot;
      this.pos = slot % this.total;
    }
    for (; this.head < slot; this.head++) {
      const out = this.pos + 1 === this.total ? 0 : this.pos + 1;
      const moving = out >= RES ? out - RES : out - RES + this.total;
      if (this.total > RES) {
        this.base -= this.sums[out] as number;
        this.sums[out] = 0;
        this.base += this.sums[moving] as number;
      }
      this.recent -= this.sums[moving] as number;
      if (this.total === RES) this.sums[moving] = 0;
      this.pos = out;
    }
  }
}

/** A ratio's two windows; judged at the end of the batch that touched it. */
class Ratio {
  readonly key: string;
  readonly num: Ring;
  readonly den: Ring;
  constructor(key: string, baselineMs: number) {
    this.key = key;
    this.num = new Ring(300_000, baselineMs);
    this.den = new Ring(300_000, baselineMs);
  }
}

export class BareRules {
  alerts = 0;
  private readonly firing = new Set<string>();
  private readonly cooldownUntil = new Map<string, number>();
  private readonly last = new Map<string, number>();
  private readonly rings = new Map<string, Ring>();
  private readonly ratios = new Map<string, Ratio>();
  /** Ratios touched by the current batch. */
  private readonly dirty = new Set<Ratio>();
  private now = 0;
  private readonly hist = new Map<
    string,
    { ring: Float64Array; merged: Float64Array; head: number; max: number }
  >();

  private ring(key: string, baselineMs: number): Ring {
    let r = this.rings.get(key);
    if (!r) {
      r = new Ring(300_000, baselineMs);
      this.rings.set(key, r);
    }
    return r;
  }

  private ratio(key: string, baselineMs: number): Ratio {
    let r = this.ratios.get(key);
    if (!r) {
      r = new Ratio(key, baselineMs);
      this.ratios.set(key, r);
    }
    return r;
  }

  private verdict(key: string, breach: boolean, now: number, cooldownMin: number): void {
    if (!breach || this.firing.has(key)) return;
    this.firing.add(key);
    if ((this.cooldownUntil.get(key) ?? -1) > now) return;
    this.cooldownUntil.set(key, now + cooldownMin * 60_000);
    this.alerts++;
  }

  /** The end of a batch: judge the ratios it touched. */
  flush(): void {
    const now = this.now;
    for (const r of this.dirty) {
      r.num.advance(now);
      r.den.advance(now);
      const { num, den, key } = r;
      if (key === "rpc" || key === "val") {
        const pct = den.recent > 0 ? (num.recent / den.recent) * 100 : 0;
        this.verdict(key, pct > (key === "rpc" ? 10 : 20), now, key === "rpc" ? 5 : 10);
        continue;
      }
      if (den.recent < 10 || den.base < 10) continue;
      const current = num.recent / den.recent;
      const base = num.base / den.base;
      this.verdict(key, base > 0 && ((current - base) / base) * 100 > 50, now, 10);
    }
    this.dirty.clear();
  }

  handle(item: Item, now: number): void {
    if (item.kind !== "metric") return;
    const a = item.attributes;
    const r = item.resource;
    switch (item.name) {
      case "system.memory.utilization": {
        if (item.type !== "gauge" || a["system.memory.state"] !== "used") return;
        const key = `m|${r["host.name"]}`;
        this.last.set(key, item.value * 100);
        this.verdict(key, item.value * 100 > 85, now, 30);
        return;
      }
      case "system.filesystem.utilization": {
        if (item.type !== "gauge") return;
        const key = `d|${r["host.name"]}|${a["system.filesystem.mountpoint"]}`;
        this.last.set(key, item.value * 100);
        this.verdict(key, item.value * 100 > 90, now, 15);
        return;
      }
      case "pipeline.health.score": {
        if (item.type !== "gauge") return;
        const key = `h|${r["service.name"]}`;
        this.last.set(key, item.value);
        this.verdict(key, item.value < 30, now, 5);
        return;
      }
      case "pipeline.db.failures": {
        if (item.type !== "sum" || item.value < 0) return;
        const ring = this.ring("db", 0);
        ring.add(now, item.value);
        this.verdict("db", ring.recent > 5, now, 5);
        return;
      }
      case "pipeline.rpc.calls":
      case "pipeline.validation.checks": {
        if (item.type !== "sum" || item.value < 0) return;
        const rpc = item.name === "pipeline.rpc.calls";
        const failed = rpc ? a["error.type"] !== undefined : a["validation.outcome"] === "fail";
        const r = this.ratio(rpc ? "rpc" : "val", 0);
        if (failed) r.num.add(now, item.value);
        r.den.add(now, item.value);
        this.now = now;
        this.dirty.add(r);
        return;
      }
      case "pipeline.artifacts.processed":
      case "pipeline.artifacts.review_flagged": {
        if (item.type !== "sum" || item.value < 0) return;
        const key = `s|${a["roaster.id"]}|${a.platform}`;
        const r = this.ratio(key, 3_600_000);
        if (item.name === "pipeline.artifacts.review_flagged") r.num.add(now, item.value);
        else r.den.add(now, item.value);
        this.now = now;
        this.dirty.add(r);
        return;
      }
      case "http.client.request.duration": {
        if (item.type !== "histogram") return;
        const nb = item.bounds.length + 1;
        let h = this.hist.get("f");
        if (!h) {
          h = { ring: new Float64Array(RES * nb), merged: new Float64Array(nb), head: -1, max: 0 };
          this.hist.set("f", h);
        }
        const slot = Math.floor(now / 10_000);
        if (h.head < 0) h.head = slot;
        while (h.head < slot) {
          const p = (++h.head % RES) * nb;
          for (let i = 0; i < nb; i++) {
            h.merged[i] = (h.merged[i] as number) - (h.ring[p + i] as number);
            h.ring[p + i] = 0;
          }
        }
        const p = (slot % RES) * nb;
        let total = 0;
        for (let i = 0; i < nb; i++) {
          const c = item.bucketCounts[i] ?? 0;
          h.ring[p + i] = (h.ring[p + i] as number) + c;
          h.merged[i] = (h.merged[i] as number) + c;
          total += h.merged[i] as number;
        }
        h.max = Math.max(h.max, item.max ?? 0);
        const rank = 0.95 * total;
        let cum = 0;
        let p95 = h.max;
        for (let i = 0; i < nb - 1; i++) {
          const c = h.merged[i] as number;
          if (cum + c >= rank && c > 0) {
            const lower = i === 0 ? 0 : (item.bounds[i - 1] as number);
            p95 = lower + (((item.bounds[i] as number) - lower) * (rank - cum)) / c;
            break;
          }
          cum += c;
        }
        this.verdict("f", p95 > 60, now, 15);
        return;
      }
    }
  }
}
