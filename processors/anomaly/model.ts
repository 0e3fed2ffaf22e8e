// One series' learned model: its seasonal profile (profile.ts), the level factors that follow
// the recent past, and whether a long deviation has been taken as the new normal ("settled").
// Encoded compactly (the profile's float32 arrays as base64) for the state store.
import type { JsonValue } from "../../src/state/store.ts";
import type { ExpectedBand } from "../rules/spec.ts";
import { type ProfileShape, profileBytes, SeasonalProfile } from "./profile.ts";

/** Object and field overhead of a model beside its profile's arrays (an estimate for status). */
const MODEL_OVERHEAD_BYTES = 400;

export function modelBytes(shape: ProfileShape): number {
  return profileBytes(shape) + MODEL_OVERHEAD_BYTES;
}

export class SeriesModel {
  readonly profile: SeasonalProfile;
  /** First reading learned (ms): verdicts start `min_history` later. */
  firstAt = Number.NaN;
  /** Last reading learned (ms): learning takes one reading per sample interval. */
  lastSampleAt = Number.NEGATIVE_INFINITY;
  /** Slow level factor (reading / profile), learned from readings inside the band: drift. */
  level = 1;
  /** Fast level factor (reading / profile) over the last quarter hour, every reading. */
  fast = Number.NaN;
  /** The readings themselves over the last quarter hour (EWMA). */
  recent = Number.NaN;
  /** Since when the readings are continuously off the band (NaN: on it). */
  deviatingSince = Number.NaN;
  /** Since when they are back on it while settled. */
  insideSince = Number.NaN;
  /** A deviation lasted `settle_after`: the rule follows the recent level until the profile holds again. */
  settled = false;
  /** Changed in a way worth writing soon (a completed slot, a settle), and changed at all since written. */
  dirty = false;
  changed = false;
  /** The value read when data last arrived, and when (in memory only: what ticks judge between arrivals). */
  arrivalValue = Number.NaN;
  arrivalAt = Number.NEGATIVE_INFINITY;
  /** Dropped by the judge (evicted, expired, replaced by a restored one): a group looks it up again. */
  retired = false;
  /** Reused for every verdict (Reading.expected). */
  readonly band: ExpectedBand = {
    center: Number.NaN,
    low: Number.NaN,
    high: Number.NaN,
    deviations: Number.NaN,
    timeOfDay: "",
    settled: false,
    deviatingForMs: 0,
  };

  constructor(shape: ProfileShape, samplesPerSlot: number) {
    this.profile = new SeasonalProfile(shape, samplesPerSlot);
  }

  encode(signature: string): JsonValue {
    const p = this.profile;
    return {
      v: 1,
      signature,
      season: finite(p.season),
      acc: [finite(p.accSlot), p.accN, p.accSum, p.accSumSq],
      first_at: finite(this.firstAt),
      last_sample_at: finite(this.lastSampleAt),
      level: this.level,
      fast: finite(this.fast),
      recent: finite(this.recent),
      deviating_since: finite(this.deviatingSince),
      inside_since: finite(this.insideSince),
      settled: this.settled,
      means: base64(p.means),
      spreads: base64(p.spreads),
    };
  }

  /** The model a stored value describes, or undefined when it is not one of this rule's shape. */
  static decode(
    value: JsonValue | undefined,
    signature: string,
    shape: ProfileShape,
    samplesPerSlot: number,
  ): SeriesModel | undefined {
    if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
    if (value.v !== 1 || value.signature !== signature) return undefined;
    const m = new SeriesModel(shape, samplesPerSlot);
    const p = m.profile;
    if (!fromBase64(value.means, p.means) || !fromBase64(value.spreads, p.spreads)) return undefined;
    const acc = Array.isArray(value.acc) ? value.acc : [];
    p.season = orNone(value.season);
    p.accSlot = orNone(acc[0]);
    p.accN = num(acc[1], 0);
    p.accSum = num(acc[2], 0);
    p.accSumSq = num(acc[3], 0);
    m.firstAt = num(value.first_at, Number.NaN);
    m.lastSampleAt = orNone(value.last_sample_at);
    m.level = num(value.level, 1);
    m.fast = num(value.fast, Number.NaN);
    m.recent = num(value.recent, Number.NaN);
    m.deviatingSince = num(value.deviating_since, Number.NaN);
    m.insideSince = num(value.inside_since, Number.NaN);
    m.settled = value.settled === true;
    for (let s = 0; s < p.slots; s++) p.refresh(s);
    return m;
  }
}

/** JSON has no NaN or infinities: null stands for "none". */
function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function num(v: JsonValue | undefined, none: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : none;
}

function orNone(v: JsonValue | undefined): number {
  return num(v, Number.NEGATIVE_INFINITY);
}

function base64(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString("base64");
}

/** Fill `into` from base64 float32s; false when the length does not match (another shape). */
function fromBase64(text: JsonValue | undefined, into: Float32Array): boolean {
  if (typeof text !== "string") return false;
  const bytes = Buffer.from(text, "base64");
  if (bytes.byteLength !== into.byteLength) return false;
  // Copied byte-wise: a Buffer's offset in its pool need not be float-aligned.
  new Uint8Array(into.buffer, into.byteOffset, into.byteLength).set(bytes);
  return true;
}
