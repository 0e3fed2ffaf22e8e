// Prometheus-style durations (`30s`, `5m`, `1h30m`, `500ms`, `2d`), as promtool test files write them.
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;

/** Milliseconds, or undefined when `text` is not a duration. `0` alone is allowed. */
export function parseDuration(text: string): number | undefined {
  const src = text.trim();
  if (src === "0") return 0;
  let at = 0;
  let total = 0;
  while (at < src.length) {
    PART.lastIndex = at;
    const m = PART.exec(src);
    if (!m) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    at += m[0].length;
  }
  return at === 0 ? undefined : total;
}

/** `1h2m3s`, `2m30s`, `250ms`, `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = Math.round(ms);
  let out = rest < 0 ? "-" : "";
  rest = Math.abs(rest);
  for (const unit of ["d", "h", "m", "s", "ms"]) {
    const size = UNIT_MS[unit] as number;
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
