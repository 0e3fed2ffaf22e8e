// A series' seasonal profile: for each time-of-day (or time-of-week) slot, one summary per season
// (day or week) over the last K seasons: the slot's mean reading and the spread of readings within
// it. What it expects for a slot is robust to a bad day: the median of the K means, with a scale
// combining the median within-slot spread and the day-to-day MAD of the means.
//
// Memory is fixed at creation: slots × seasons × 2 float32 (means, spreads) + slots × (2 float32
// + 1 byte) for the cached per-slot expectation — 96 × 14 × 8 + 96 × 9 ≈ 11.6 KB for 1d/15 min/14.

export interface ProfileShape {
  /** The season: 1 day or 1 week, ms. */
  readonly periodMs: number;
  readonly slotMs: number;
  /** Seasons kept per slot (K). */
  readonly seasons: number;
}

/** What the profile expects at one instant (interpolated between the two nearest slot centres). */
export interface Expectation {
  center: number;
  /** ≈ one standard deviation of normal readings at this time of day. */
  scale: number;
}

/** 1.4826 × MAD estimates a standard deviation for normal data. */
const MAD_TO_SIGMA = 1.4826;
const NONE = Number.NEGATIVE_INFINITY;

export function slotsOf(shape: ProfileShape): number {
  return Math.round(shape.periodMs / shape.slotMs);
}

/** Bytes one profile keeps (its typed arrays), the figure `status` and the README state. */
export function profileBytes(shape: ProfileShape): number {
  const slots = slotsOf(shape);
  return slots * shape.seasons * 8 + slots * 9;
}

const scratch = { values: new Float64Array(64), deviations: new Float64Array(64) };

function median(values: Float64Array, n: number): number {
  const v = values.subarray(0, n).sort();
  return n % 2 === 1 ? (v[(n - 1) / 2] as number) : ((v[n / 2 - 1] as number) + (v[n / 2] as number)) / 2;
}

export class SeasonalProfile {
  readonly shape: ProfileShape;
  readonly slots: number;
  /** [slot × seasons + season % seasons]: the slot's mean reading in that season (NaN: none). */
  readonly means: Float32Array;
  /** Same layout: the standard deviation of the readings within the slot that season. */
  readonly spreads: Float32Array;
  /** Per slot, cached from means/spreads: expected centre, scale, and how many seasons they rest on. */
  readonly centers: Float32Array;
  readonly scales: Float32Array;
  readonly counts: Uint8Array;
  /** The season (number since the epoch, local time) the newest column holds. */
  season = NONE;
  /** The slot being accumulated (season × slots + slot) and its running sums. */
  accSlot = NONE;
  accN = 0;
  accSum = 0;
  accSumSq = 0;
  /** Least readings a slot needs before it counts for its season (a quarter of the slot's minutes). */
  readonly minReadings: number;

  constructor(shape: ProfileShape, samplesPerSlot: number) {
    this.shape = shape;
    this.slots = slotsOf(shape);
    const n = this.slots * shape.seasons;
    const buffer = new ArrayBuffer(n * 8 + this.slots * 8);
    this.means = new Float32Array(buffer, 0, n).fill(Number.NaN);
    this.spreads = new Float32Array(buffer, n * 4, n).fill(Number.NaN);
    this.centers = new Float32Array(buffer, n * 8, this.slots).fill(Number.NaN);
    this.scales = new Float32Array(buffer, n * 8 + this.slots * 4, this.slots).fill(Number.NaN);
    this.counts = new Uint8Array(this.slots);
    this.minReadings = Math.max(3, Math.floor(samplesPerSlot / 4));
    if (shape.seasons > scratch.values.length) {
      scratch.values = new Float64Array(shape.seasons);
      scratch.deviations = new Float64Array(shape.seasons);
    }
  }

  /**
   * Add one reading at local time `localMs` (shifted so seasons start where they should). Returns
   * true when a slot was completed (the profile changed: worth persisting).
   */
  add(value: number, localMs: number): boolean {
    const { periodMs, slotMs } = this.shape;
    const season = Math.floor(localMs / periodMs);
    const slot = season * this.slots + Math.floor((localMs - season * periodMs) / slotMs);
    let changed = false;
    if (slot !== this.accSlot) {
      changed = this.#finish();
      if (season > this.season) this.#rotate(season);
      this.accSlot = slot;
      this.accN = this.accSum = this.accSumSq = 0;
    }
    this.accN++;
    this.accSum += value;
    this.accSumSq += value * value;
    return changed;
  }

  /** What the profile expects at `localMs`, when both neighbouring slots rest on `need` seasons. */
  expect(localMs: number, need: number, out: Expectation): boolean {
    const { periodMs, slotMs } = this.shape;
    const phase = localMs - Math.floor(localMs / periodMs) * periodMs;
    const u = phase / slotMs - 0.5;
    const below = Math.floor(u);
    const w = u - below;
    const s0 = below < 0 ? this.slots - 1 : below;
    const s1 = below + 1 >= this.slots ? 0 : below + 1;
    if ((this.counts[s0] as number) < need || (this.counts[s1] as number) < need) return false;
    out.center = (1 - w) * (this.centers[s0] as number) + w * (this.centers[s1] as number);
    out.scale = (1 - w) * (this.scales[s0] as number) + w * (this.scales[s1] as number);
    return true;
  }

  /** The accumulated slot into its season's column. */
  #finish(): boolean {
    if (this.accSlot === NONE || this.accN < this.minReadings) return false;
    const season = Math.floor(this.accSlot / this.slots);
    // A slot from a season already rotated out of the ring has nowhere to go.
    if (season <= this.season - this.shape.seasons) return false;
    const slot = this.accSlot - season * this.slots;
    const mean = this.accSum / this.accN;
    const variance = Math.max(0, this.accSumSq / this.accN - mean * mean);
    const at = slot * this.shape.seasons + mod(season, this.shape.seasons);
    this.means[at] = mean;
    this.spreads[at] = Math.sqrt(variance);
    this.refresh(slot);
    return true;
  }

  /** Entering `season`: the columns of the seasons since the last one are cleared (gaps included). */
  #rotate(season: number): void {
    const k = this.shape.seasons;
    const from = this.season === NONE ? season - k + 1 : Math.max(this.season + 1, season - k + 1);
    for (let n = from; n <= season; n++) {
      const column = mod(n, k);
      for (let s = 0; s < this.slots; s++) {
        this.means[s * k + column] = Number.NaN;
        this.spreads[s * k + column] = Number.NaN;
      }
    }
    this.season = season;
    for (let s = 0; s < this.slots; s++) this.refresh(s);
  }

  /** Recompute slot `s`'s expectation from its seasons. */
  refresh(s: number): void {
    const k = this.shape.seasons;
    const { values, deviations } = scratch;
    let n = 0;
    for (let i = 0; i < k; i++) {
      const m = this.means[s * k + i] as number;
      if (!Number.isNaN(m)) values[n++] = m;
    }
    this.counts[s] = n;
    if (n === 0) {
      this.centers[s] = this.scales[s] = Number.NaN;
      return;
    }
    const center = median(values, n);
    for (let i = 0; i < n; i++) deviations[i] = Math.abs((values[i] as number) - center);
    const between = MAD_TO_SIGMA * median(deviations, n);
    n = 0;
    for (let i = 0; i < k; i++) {
      const d = this.spreads[s * k + i] as number;
      if (!Number.isNaN(d)) values[n++] = d;
    }
    const within = median(values, n);
    this.centers[s] = center;
    this.scales[s] = Math.sqrt(within * within + between * between);
  }

  /** Seasons the profile has for its best-covered slot (how far it has learned). */
  seasonsLearned(): number {
    let most = 0;
    for (let s = 0; s < this.slots; s++) most = Math.max(most, this.counts[s] as number);
    return most;
  }
}

function mod(n: number, k: number): number {
  const r = n % k;
  return r < 0 ? r + k : r;
}
