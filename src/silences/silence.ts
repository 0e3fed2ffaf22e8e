// A silence, as Alertmanager defines one: matchers, a time span, who made it and why. Its state
// follows from the clock: pending before startsAt, active until endsAt, expired after.
import { formatDuration } from "../config/duration.ts";
import { type LabelSet, promLabelName } from "./labels.ts";
import { type Matcher, matcherProblem, matcherText, matches, matchesAll } from "./matchers.ts";

export interface Silence {
  /** A UUID. */
  readonly id: string;
  readonly matchers: readonly Matcher[];
  /** ms since the epoch. */
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
  readonly updatedAt: number;
}

export type SilenceState = "pending" | "active" | "expired";

/** A silence as posted: an `id` asks to update that silence (or replace it, as Alertmanager does). */
export interface SilenceInput {
  readonly id?: string;
  readonly matchers: readonly Matcher[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
}

/** A refused silence operation, with the HTTP status the API answers with. */
export class SilenceError extends Error {
  override readonly name = "SilenceError";
  readonly status: 400 | 404;

  constructor(status: 400 | 404, message: string) {
    super(message);
    this.status = status;
  }
}

export function silenceState(s: Pick<Silence, "startsAt" | "endsAt">, nowMs: number): SilenceState {
  if (nowMs < s.startsAt) return "pending";
  return nowMs < s.endsAt ? "active" : "expired";
}

export function isActive(s: Silence, nowMs: number): boolean {
  return silenceState(s, nowMs) === "active";
}

/** Does the silence mute an alert with these (Prometheus-form) labels at `nowMs`? */
export function silences(s: Silence, labels: LabelSet, nowMs: number): boolean {
  return isActive(s, nowMs) && matchesAll(s.matchers, labels);
}

/** Alertmanager's checks on a silence before it is stored; the first problem found, or undefined. */
export function silenceProblem(input: SilenceInput): string | undefined {
  if (input.matchers.length === 0) return "at least one matcher is required";
  for (const [i, m] of input.matchers.entries()) {
    const problem = matcherProblem(m);
    if (problem) return `matchers.${i}: ${problem}`;
  }
  // A silence every alert satisfies would mute everything: Alertmanager refuses it too.
  if (input.matchers.every((m) => matches(m, {})))
    return "at least one matcher must not match the empty string";
  if (!(input.endsAt > input.startsAt)) return "start time must be before end time";
  if (input.createdBy.trim() === "") return "creator information missing (createdBy)";
  return undefined;
}

/** The labels a silence pins with `=` matchers: what `GET /silences?filter=` is matched against. */
export function equalityLabels(s: Silence): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchers) if (!m.isRegex && m.isEqual) out[promLabelName(m.name)] = m.value;
  return out;
}

/** Alertmanager's listing order: active by end, then pending by start, then expired, latest first. */
export function sortSilences(list: readonly Silence[], nowMs: number): Silence[] {
  const rank = { active: 0, pending: 1, expired: 2 } as const;
  return [...list].sort((a, b) => {
    const sa = silenceState(a, nowMs);
    const sb = silenceState(b, nowMs);
    if (sa !== sb) return rank[sa] - rank[sb];
    if (sa === "active") return a.endsAt - b.endsAt;
    if (sa === "pending") return a.startsAt - b.startsAt;
    return b.endsAt - a.endsAt;
  });
}

/** How long a silence ran, to the second: `2h5m`, `45s` (Prometheus notation). */
export function silenceDuration(ms: number): string {
  return formatDuration(Math.max(0, Math.round(ms / 1000)) * 1000);
}

export function describeMatchers(s: Pick<Silence, "matchers">): string {
  return s.matchers.map(matcherText).join(", ");
}
