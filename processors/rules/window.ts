// Sliding window over ring buckets: O(1) amortised updates with running totals, so a rule can
// evaluate on every arriving point. Optional baseline region (the spike rule's preceding window)
// directly behind the recent one; both slide together as the scheduler's clock advances.
// Coverage is per window, from the slot of its first data (not of its group's first point): the
// numerator and denominator of a ratio are separate series that may start exports apart.

export interface WindowTracking {
  /** Number of contributions per slot (avg, count, min_samples for non-ratio rules). */
  readonly count: boolean;
  /** Per-slot min/max (min, max aggregations; histogram max for the +Inf quantile fallback). */
  readonly minMax: boolean;
  /** Merged histogram bucket counts (quantile aggregations). */
  readonly histogram: boolean;
}

export interface WindowShape {
  readonly windowMs: number;
  /** Baseline length directly before the window; 0 = none. */
  readonly baselineMs: number;
  /** Slots per window: the eviction granularity is windowMs / resolution. */
  readonly resolution: number;
}

const NONE = Number.NEGATIVE_INFINITY;

export class RingWindow {
  readonly slotMs: number;
  readonly recentSlots: number;
  readonly totalSlots: number;
  private readonly sums: Float64Array;
  private readonly counts: Float64Array | undefined;
  private readonly mins: Float64Array | undefined;
  private readonly maxs: Float64Array | undefined;
  private hist: Float64Array | undefined;
  private bounds: readonly number[] | undefined;
  private head = NONE;
  /** Ring index of `head` (kept in step with it: no modulo per slide). */
  private headPos = 0;
  /** Slot of the first data since the window was last empty (NONE: no data yet). */
  private firstData = NONE;
  private lastNow = Number.NaN;
  recentSum = 0;
  recentCount = 0;
  baseSum = 0;
  baseCount = 0;
  /** Merged bucket counts over the recent window (histogram tracking only). */
  recentHist: Float64Array | undefined;
  /**
   * Extremes of the recent window, kept between slides so a quantile read per point does not
   * scan every slot; `…Known` false = rescan on the next read.
   */
  private cachedMin = Number.NaN;
  private cachedMax = Number.NaN;
  private minKnown = false;
  private maxKnown = false;

  /**
   * `storage`: a zeroed buffer of at least `RingWindow.doublesFor(shape, tracking)` doubles from
   * `offset` on, so one group's windows share one allocation (a backing store per array costs
   * more than the views, and a thousand series create thousands of them).
   */
  constructor(shape: WindowShape, tracking: WindowTracking, storage?: ArrayBuffer, offset = 0) {
    this.slotMs = shape.windowMs / shape.resolution;
    this.recentSlots = shape.resolution;
    const n = slotsOf(shape);
    this.totalSlots = n;
    const buffer = storage ?? new ArrayBuffer(RingWindow.doublesFor(shape, tracking) * 8);
    let at = storage ? offset : 0;
    const next = () => {
      const view = new Float64Array(buffer, at * 8, n);
      at += n;
      return view;
    };
    this.sums = next();
    this.counts = tracking.count ? next() : undefined;
    this.mins = tracking.minMax ? next().fill(Number.NaN) : undefined;
    this.maxs = tracking.minMax ? next().fill(Number.NaN) : undefined;
  }

  /** Doubles a window of this shape and tracking keeps (histogram buckets apart). */
  static doublesFor(shape: WindowShape, tracking: WindowTracking): number {
    return slotsOf(shape) * (1 + (tracking.count ? 1 : 0) + (tracking.minMax ? 2 : 0));
  }

  get hasBaseline(): boolean {
    return this.totalSlots > this.recentSlots;
  }

  get histogramBounds(): readonly number[] | undefined {
    return this.bounds;
  }

  private pos(slot: number): number {
    const p = slot % this.totalSlots;
    return p < 0 ? p + this.totalSlots : p;
  }

  /** Slide the window so `now` falls in the head slot; evicted slots leave the running totals. */
  advance(now: number): void {
    // Every point of a burst shares one clock reading: slide (and divide) once per instant.
    if (now === this.lastNow) return;
    this.lastNow = now;
    const slot = Math.floor(now / this.slotMs);
    if (this.head === NONE) {
      this.head = slot;
      this.headPos = this.pos(slot);
      return;
    }
    if (slot <= this.head) return;
    this.minKnown = this.maxKnown = false;
    if (slot - this.head >= this.totalSlots) {
      this.clearAll();
      this.head = slot;
      this.headPos = this.pos(slot);
      return;
    }
    const steps = slot - this.head;
    this.head = slot;
    if (this.counts === undefined && this.hist === undefined) this.slideSums(steps);
    else this.slideAll(steps);
    // Running totals of integers stay exact; clamp float residue so "no data" reads as 0.
    if (Math.abs(this.recentSum) < 1e-9) this.recentSum = 0;
    if (Math.abs(this.baseSum) < 1e-9) this.baseSum = 0;
  }

  /**
   * The slide of sum-only windows (ratios: one array per window), the common big case: ring
   * positions step by one instead of a modulo per slot.
   */
  private slideSums(steps: number): void {
    const sums = this.sums;
    const total = this.totalSlots;
    const recent = this.recentSlots;
    const baseline = total > recent;
    let hp = this.headPos;
    let recentSum = this.recentSum;
    let baseSum = this.baseSum;
    for (let k = 0; k < steps; k++) {
      hp = hp + 1 === total ? 0 : hp + 1;
      // The slot leaving the recent window: into the baseline, or gone when there is none.
      const leaving = hp >= recent ? hp - recent : hp - recent + total;
      const s = sums[leaving] as number;
      if (baseline) {
        // First drop the slot leaving the baseline (it is the one the new head reuses).
        baseSum -= sums[hp] as number;
        sums[hp] = 0;
        baseSum += s;
      } else {
        sums[leaving] = 0;
      }
      recentSum -= s;
    }
    this.headPos = hp;
    this.recentSum = recentSum;
    this.baseSum = baseSum;
  }

  private slideAll(steps: number): void {
    const baseline = this.hasBaseline;
    const total = this.totalSlots;
    for (let k = 0; k < steps; k++) {
      const hp = this.headPos + 1 === total ? 0 : this.headPos + 1;
      this.headPos = hp;
      const leaving = hp >= this.recentSlots ? hp - this.recentSlots : hp - this.recentSlots + total;
      const s = this.sums[leaving] as number;
      const c = this.counts ? (this.counts[leaving] as number) : 0;
      if (baseline) {
        // First drop the slot leaving the baseline (it is the one the new head reuses).
        this.baseSum -= this.sums[hp] as number;
        if (this.counts) this.baseCount -= this.counts[hp] as number;
        this.clearSlot(hp);
        this.baseSum += s;
        this.baseCount += c;
      }
      this.recentSum -= s;
      this.recentCount -= c;
      if (this.hist && this.recentHist) {
        const nb = this.recentHist.length;
        const off = leaving * nb;
        for (let i = 0; i < nb; i++)
          this.recentHist[i] = (this.recentHist[i] as number) - (this.hist[off + i] as number);
        if (!baseline) this.hist.fill(0, off, off + nb);
      }
      if (!baseline) this.clearSlot(leaving);
      else if (this.hist) {
        // Histograms are tracked for the recent window only: clear the bucket counts now.
        const nb = this.recentHist?.length ?? 0;
        this.hist.fill(0, leaving * nb, leaving * nb + nb);
      }
    }
  }

  private clearSlot(p: number): void {
    this.sums[p] = 0;
    if (this.counts) this.counts[p] = 0;
    if (this.mins) this.mins[p] = Number.NaN;
    if (this.maxs) this.maxs[p] = Number.NaN;
  }

  private clearAll(): void {
    this.sums.fill(0);
    this.counts?.fill(0);
    this.mins?.fill(Number.NaN);
    this.maxs?.fill(Number.NaN);
    this.hist?.fill(0);
    this.recentHist?.fill(0);
    this.recentSum = this.recentCount = this.baseSum = this.baseCount = 0;
    // Nothing left of the history: coverage starts again with the next data.
    this.firstData = NONE;
  }

  /** Add one contribution (`count` samples summing to `value`, with optional extremes). */
  add(now: number, value: number, count = 1, min = value, max = value): void {
    this.advance(now);
    if (this.firstData === NONE) this.firstData = this.head;
    const p = this.headPos;
    this.sums[p] = (this.sums[p] as number) + value;
    this.recentSum += value;
    if (this.counts) {
      this.counts[p] = (this.counts[p] as number) + count;
      this.recentCount += count;
    }
    if (this.mins && this.maxs) {
      const lo = this.mins[p] as number;
      const hi = this.maxs[p] as number;
      if (!(lo <= min)) this.mins[p] = min;
      if (!(hi >= max)) this.maxs[p] = max;
      // A slot only moves outward (the cache follows) or to NaN (an extreme without data: rescan).
      if (Number.isNaN(min)) this.minKnown = false;
      else if (!(this.cachedMin <= min)) this.cachedMin = min;
      if (Number.isNaN(max)) this.maxKnown = false;
      else if (!(this.cachedMax >= max)) this.cachedMax = max;
    }
  }

  /** Merge delta bucket counts into the head slot; a change of bucket bounds restarts the histogram. */
  addBuckets(now: number, bounds: readonly number[], bucketCounts: readonly number[]): void {
    this.advance(now);
    const nb = bounds.length + 1;
    if (!this.hist || !sameBounds(this.bounds, bounds)) {
      this.bounds = [...bounds];
      this.hist = new Float64Array(this.totalSlots * nb);
      this.recentHist = new Float64Array(nb);
    }
    const off = this.headPos * nb;
    const merged = this.recentHist as Float64Array;
    for (let i = 0; i < nb; i++) {
      const c = bucketCounts[i] ?? 0;
      if (!(c > 0)) continue;
      this.hist[off + i] = (this.hist[off + i] as number) + c;
      merged[i] = (merged[i] as number) + c;
    }
  }

  /** Extremes over the recent window; NaN when no data. */
  recentMin(): number {
    if (!this.minKnown) {
      this.cachedMin = this.scan(this.mins, Math.min);
      this.minKnown = this.mins !== undefined;
    }
    return this.cachedMin;
  }

  recentMax(): number {
    if (!this.maxKnown) {
      this.cachedMax = this.scan(this.maxs, Math.max);
      this.maxKnown = this.maxs !== undefined;
    }
    return this.cachedMax;
  }

  private scan(values: Float64Array | undefined, pick: (a: number, b: number) => number): number {
    if (!values || this.head === NONE) return Number.NaN;
    let out = Number.NaN;
    let p = this.headPos;
    for (let i = 0; i < this.recentSlots; i++, p = p === 0 ? this.totalSlots - 1 : p - 1) {
      const v = values[p] as number;
      if (!Number.isNaN(v)) out = Number.isNaN(out) ? v : pick(out, v);
    }
    return out;
  }

  /** Seconds of baseline actually covered by data history (a young series has a short baseline). */
  baselineCoveredSeconds(): number {
    if (!this.hasBaseline || this.firstData === NONE) return 0;
    const newest = this.head - this.recentSlots;
    const oldest = Math.max(this.firstData, this.head - this.totalSlots + 1);
    const slots = newest - oldest + 1;
    return slots > 0 ? (slots * this.slotMs) / 1000 : 0;
  }

  /**
   * True once every baseline slot lies after this window's first data: the first point (which
   * may carry counts from before it, e.g. a cumulative series' first delta) has slid out, and
   * what remains covers the whole baseline.
   */
  baselineCovered(): boolean {
    return this.hasBaseline && this.firstData !== NONE && this.head - this.firstData >= this.totalSlots;
  }

  /** True once the recent window lies wholly after this window's first data (a whole window of it). */
  recentCovered(): boolean {
    return this.firstData !== NONE && this.head - this.firstData >= this.recentSlots - 1;
  }

  /** Slot of the first data still in the history, or undefined when there is none. */
  get firstDataSlot(): number | undefined {
    return this.firstData === NONE ? undefined : this.firstData;
  }

  /** Sum of the recent window from `slot` on (older slots left out). */
  recentSumFrom(slot: number): number {
    if (this.head === NONE || slot > this.head) return 0;
    if (slot <= this.head - this.recentSlots + 1) return this.recentSum;
    let out = 0;
    let p = this.headPos;
    for (let s = this.head; s >= slot; s--, p = p === 0 ? this.totalSlots - 1 : p - 1) {
      out += this.sums[p] as number;
    }
    return out;
  }

  /** Rough heap footprint of this window, for status/bench. */
  bytes(): number {
    let n = this.sums.byteLength;
    if (this.counts) n += this.counts.byteLength;
    if (this.mins) n += this.mins.byteLength * 2;
    if (this.hist) n += this.hist.byteLength + (this.recentHist?.byteLength ?? 0);
    return n;
  }
}

function slotsOf(shape: WindowShape): number {
  return shape.resolution + Math.round(shape.baselineMs / (shape.windowMs / shape.resolution));
}

function sameBounds(a: readonly number[] | undefined, b: readonly number[]): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
