// promtool's expanding notation for input series values, and alertpipe's histogram form of it.
//
//   numbers     a  a+bxn  a-bxn  axn      (n+1 values: a, a±b, …, a±n·b; axn repeats a)
//   gaps        _  _xn                    (no sample at that step / for n steps)
//   end         stale                     (a point flagged "no recorded value", OTLP's staleness marker)
//   histograms  {{buckets:[c…] sum:s count:n min:m max:m}}  {{A}}+{{B}}xn  {{A}}xn
//
// Histogram buckets are OTLP's per-bucket counts for the series' `bounds` (one more count than
// bounds: the last is the +Inf bucket); `count` defaults to their total, `sum`/`min`/`max` are optional.

export interface HistogramSample {
  readonly buckets: readonly number[];
  readonly count: number;
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
}

export type Sample = number | HistogramSample | "missing" | "stale";

export class NotationError extends Error {}

const UNSIGNED = String.raw`(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?`;
const NUMBER = `[-+]?${UNSIGNED}`;
const REPEAT = new RegExp(`^(${NUMBER})(?:([-+])(${UNSIGNED}))?x(\\d+)$`);
const SINGLE = new RegExp(`^${NUMBER}$`);
const GAP = /^_(?:x(\d+))?$/;
/** Guard against `0+1x1e9` exhausting memory: no test needs this many steps. */
const MAX_STEPS = 1_000_000;

const NUMBER_FORMS = "a, a+bxn, a-bxn, axn, _, _xn or stale";
const HISTOGRAM_FORMS = "{{buckets:[…] sum:… count:… min:… max:…}}, {{A}}+{{B}}xn, {{A}}xn, _, _xn or stale";

/** Parses a `values` string of a gauge or counter series. Throws NotationError naming the bad token. */
export function parseNumberValues(text: string): Sample[] {
  const out: Sample[] = [];
  for (const token of text.trim().split(/\s+/).filter(Boolean)) {
    if (gapOrStale(token, out)) continue;
    if (SINGLE.test(token)) {
      out.push(finite(Number(token), token));
      continue;
    }
    const m = REPEAT.exec(token);
    if (!m) throw new NotationError(`"${token}" is not expanding notation (${NUMBER_FORMS})`);
    const start = finite(Number(m[1]), token);
    const step = m[3] === undefined ? 0 : finite(Number(m[3]), token) * (m[2] === "-" ? -1 : 1);
    const n = steps(m[4] as string, token, out.length);
    for (let i = 0; i <= n; i++) out.push(start + i * step);
  }
  if (out.length === 0) throw new NotationError(`no values (write ${NUMBER_FORMS})`);
  return out;
}

/** Parses a `values` string of a histogram series whose buckets have `bounds`. */
export function parseHistogramValues(text: string, bounds: readonly number[]): Sample[] {
  const out: Sample[] = [];
  const tokens = tokenizeHistograms(text);
  for (const token of tokens) {
    if (gapOrStale(token, out)) continue;
    const m = /^\{\{([^}]*)\}\}(?:\+\{\{([^}]*)\}\})?(?:x(\d+))?$/.exec(token);
    if (!m) throw new NotationError(`"${token}" is not histogram notation (${HISTOGRAM_FORMS})`);
    const first = histogram(m[1] as string, bounds, token);
    if (m[2] !== undefined && m[3] === undefined)
      throw new NotationError(`"${token}": {{A}}+{{B}} needs a repeat count, e.g. {{A}}+{{B}}x10`);
    const n = m[3] === undefined ? 0 : steps(m[3], token, out.length);
    const step = m[2] === undefined ? undefined : histogram(m[2], bounds, token);
    let current = first;
    out.push(current);
    for (let i = 1; i <= n; i++) {
      if (step) current = addHistograms(current, step);
      out.push(current);
    }
  }
  if (out.length === 0) throw new NotationError(`no values (write ${HISTOGRAM_FORMS})`);
  return out;
}

function gapOrStale(token: string, out: Sample[]): boolean {
  if (token === "stale") {
    out.push("stale");
    return true;
  }
  const gap = GAP.exec(token);
  if (!gap) return false;
  const n = gap[1] === undefined ? 1 : steps(gap[1], token, out.length);
  for (let i = 0; i < n; i++) out.push("missing");
  return true;
}

function steps(text: string, token: string, already: number): number {
  const n = Number(text);
  if (already + n > MAX_STEPS) throw new NotationError(`"${token}": more than ${MAX_STEPS} samples`);
  return n;
}

function finite(n: number, token: string): number {
  if (!Number.isFinite(n)) throw new NotationError(`"${token}": not a finite number`);
  return n;
}

/** Splits on whitespace outside {{…}} (bucket lists contain spaces). */
function tokenizeHistograms(text: string): string[] {
  const tokens: string[] = [];
  let current = "";
  let depth = 0;
  for (const ch of text) {
    if (ch === "{") depth++;
    else if (ch === "}") depth = Math.max(0, depth - 1);
    if (/\s/.test(ch) && depth === 0) {
      if (current) tokens.push(current);
      current = "";
      continue;
    }
    current += ch;
  }
  if (depth > 0) throw new NotationError(`"${current}": unclosed {{`);
  if (current) tokens.push(current);
  return tokens;
}

const FIELD = /([a-z]+):(\[[^\]]*\]|\S+)/y;

function histogram(body: string, bounds: readonly number[], token: string): HistogramSample {
  const fields = new Map<string, string>();
  const text = body.trim();
  let at = 0;
  while (at < text.length) {
    FIELD.lastIndex = at;
    const m = FIELD.exec(text);
    if (!m)
      throw new NotationError(`"${token}": cannot read "${text.slice(at)}" (write key:value, e.g. sum:12.5)`);
    const [whole, key, value] = m as unknown as [string, string, string];
    if (fields.has(key)) throw new NotationError(`"${token}": ${key} given twice`);
    fields.set(key, value);
    at += whole.length;
    while (text[at] === " " || text[at] === "\t") at++;
  }
  for (const key of fields.keys()) {
    if (!["buckets", "count", "sum", "min", "max"].includes(key))
      throw new NotationError(`"${token}": unknown field "${key}" (buckets, count, sum, min, max)`);
  }
  const list = fields.get("buckets");
  if (list === undefined) throw new NotationError(`"${token}": buckets:[…] is required`);
  if (!list.startsWith("["))
    throw new NotationError(`"${token}": buckets must be a list, e.g. buckets:[1 0 2]`);
  const buckets = list
    .slice(1, -1)
    .trim()
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((c) => count(c, token));
  if (buckets.length !== bounds.length + 1) {
    throw new NotationError(
      `"${token}": ${buckets.length} bucket counts for ${bounds.length} bounds (give ${bounds.length + 1}: one per bound, then +Inf)`,
    );
  }
  const total = buckets.reduce((a, b) => a + b, 0);
  const given = fields.get("count");
  const n = given === undefined ? total : count(given, token);
  if (n !== total) throw new NotationError(`"${token}": count:${n} but the buckets add up to ${total}`);
  const sample: { -readonly [K in keyof HistogramSample]: HistogramSample[K] } = { buckets, count: n };
  for (const key of ["sum", "min", "max"] as const) {
    const v = fields.get(key);
    if (v === undefined) continue;
    if (!SINGLE.test(v)) throw new NotationError(`"${token}": ${key}:${v} is not a number`);
    sample[key] = finite(Number(v), token);
  }
  return sample;
}

function count(text: string, token: string): number {
  if (!/^\d+$/.test(text))
    throw new NotationError(`"${token}": "${text}" is not a count (a whole number ≥ 0)`);
  return Number(text);
}

/** A + B: counts and sums add; min/max are lifetime extremes, as in a cumulative OTLP histogram. */
function addHistograms(a: HistogramSample, b: HistogramSample): HistogramSample {
  const out: { -readonly [K in keyof HistogramSample]: HistogramSample[K] } = {
    buckets: a.buckets.map((c, i) => c + (b.buckets[i] ?? 0)),
    count: a.count + b.count,
  };
  if (a.sum !== undefined || b.sum !== undefined) out.sum = (a.sum ?? 0) + (b.sum ?? 0);
  // An empty side adds no observations; an unknown extreme on a non-empty side stays unknown.
  const extreme = (x: number | undefined, y: number | undefined, pick: (p: number, q: number) => number) => {
    if (b.count === 0) return x;
    if (a.count === 0) return y;
    return x === undefined || y === undefined ? undefined : pick(x, y);
  };
  const min = extreme(a.min, b.min, Math.min);
  const max = extreme(a.max, b.max, Math.max);
  if (min !== undefined) out.min = min;
  if (max !== undefined) out.max = max;
  return out;
}
