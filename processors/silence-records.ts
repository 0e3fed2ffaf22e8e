// What the silence processor keeps of a muted alert (namespace `silence.muted/<component id>`),
// and the "while silenced" digest it leaves when the silences muting them are over.
import type { Alert, Digest } from "../src/signal.ts";
import { describeMatchers, type Silence } from "../src/silences/silence.ts";
import type { JsonValue } from "../src/state/store.ts";

/** What is kept of an alert while silences mute it. */
export interface MutedRecord {
  /** The latest muted notice. */
  readonly alert: Alert;
  /** Ids of the silences that muted it. */
  readonly silences: readonly string[];
  readonly notices: number;
  readonly firstMutedAt: number;
  readonly lastMutedAt: number;
}

export const silenceMutedNamespace = (componentId: string) => `silence.muted/${componentId}`;

export function recordOf(value: JsonValue | undefined): MutedRecord | undefined {
  const r = value as unknown as MutedRecord | undefined;
  return r && r.alert?.kind === "alert" && Array.isArray(r.silences) ? r : undefined;
}

/** The silence a record is released under when its own is gone from the store (past retention). */
export function unstoredSilence(record: MutedRecord): Silence {
  return {
    id: record.silences.at(-1) ?? "unknown",
    matchers: [],
    startsAt: record.firstMutedAt,
    endsAt: record.lastMutedAt,
    createdBy: "",
    comment: "(silence no longer stored)",
    updatedAt: record.lastMutedAt,
  };
}

const rank = (r: MutedRecord) => (r.alert.status === "resolved" || r.alert.oneShot ? 1 : 0);

/**
 * One digest of what `silence` muted and is not sent on its own: those firing when last seen
 * first, then in the order they were muted; `all` counts every notice it muted.
 */
export function mutedDigest(
  silence: Silence,
  rest: readonly MutedRecord[],
  all: readonly MutedRecord[],
  stillFiring: number,
  now: number,
): Digest {
  const sorted = [...rest].sort((a, b) => rank(a) - rank(b) || a.firstMutedAt - b.firstMutedAt);
  return {
    kind: "digest",
    route: "default",
    alerts: sorted.map((r) => ({ ...r.alert, details: { ...r.alert.details, muted_notices: r.notices } })),
    windowStart: silence.startsAt,
    at: now,
    silence: {
      id: silence.id,
      comment: silence.comment,
      createdBy: silence.createdBy,
      startsAt: silence.startsAt,
      endsAt: silence.endsAt,
      matchers: describeMatchers(silence),
      mutedNotices: all.reduce((n, r) => n + r.notices, 0),
      stillFiring,
    },
  };
}
