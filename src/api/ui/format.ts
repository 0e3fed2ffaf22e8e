// Times as the web view prints them: relative ("4m ago", "in 12m") beside absolute ISO in a
// <time datetime>, which the page's script turns into the reader's local clock.
import { type Html, html } from "./html.ts";

/** A span as people read it: 42s, 4m 10s, 2h 5m, 3d 4h. */
export function span(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 || m >= 10 ? `${m}m` : `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d}d` : `${d}d ${h % 24}h`;
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** "4m ago" or "in 4m", with the absolute time for the script and the tooltip. */
export function when(ms: number, nowMs: number): Html {
  const text = ms <= nowMs ? `${span(nowMs - ms)} ago` : `in ${span(ms - nowMs)}`;
  return html`<time datetime="${iso(ms)}" title="${iso(ms)}">${text}</time>`;
}

/** The time of day (UTC here; the script shows it in the reader's zone). */
export function clock(ms: number): Html {
  return html`<time class="clock" datetime="${iso(ms)}" title="${iso(ms)}">${iso(ms).slice(11, 19)}Z</time>`;
}
