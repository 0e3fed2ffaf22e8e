// What one throttle route holds, and how it is kept in the store.
//
// In memory: the held alerts in arrival order, at most `max_held_alerts` of them listed one by one;
// past that bound they are counted per rule and status (with the labels of the first few) and go out
// as a digest's summary lines, so a storm costs bounded memory and digests and nothing is dropped.
//
// In the store (key-value namespace `throttle.held/<component id>`), written incrementally: one entry
// per listed alert (`<route>␟<owner>␟a<seq>`, removed when it is released), one for the summary
// (`…␟s`) and one for the route's hold (`…␟m`: since when, and when this owner last wrote it, so a
// live instance's hold is told from a dead one's). `owner` is the store's instance id. The one-entry
// format of earlier versions (`<route>␟<owner>` with every alert in it) is still read.
import type { Logger } from "pino";
import {
  type Alert,
  type AlertStatus,
  type Digest,
  type DigestSummary,
  digestCount,
  type Severity,
} from "../src/signal.ts";
import { andThen, type JsonValue, type MaybePromise, type StateStore } from "../src/state/store.ts";
import { persist } from "./state-sequence.ts";

/** Labels kept per summary group, so a reader sees which series they are. */
const SUMMARY_EXAMPLES = 5;
const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };
const SEP = "\u001f";

interface Group {
  readonly rule: string;
  readonly status: AlertStatus;
  severity: Severity;
  count: number;
  readonly examples: Array<Readonly<Record<string, string>>>;
}

/** Where a throttle processor keeps its held alerts in the store. */
export const throttleHeldNamespace = (componentId: string) => `throttle.held/${componentId}`;

/** Held alerts outlive any sane outage, not forever. */
export const HELD_TTL_MS = 7 * 24 * 3_600_000;

/**
 * What one route holds: alerts listed up to the bound, then counted per rule and status; and whole
 * digests made upstream (a silence's "while silenced"), each released as one message of its own.
 */
export class HeldAlerts {
  readonly #listed: Array<{ readonly alert: Alert; readonly key?: string }> = [];
  readonly #groups = new Map<string, Group>();
  readonly #digests: Array<{ readonly digest: Digest; readonly key?: string }> = [];
  #summarised = 0;
  #digestAlerts = 0;

  /** Alerts held: listed, summarised, and those the held digests account for. */
  get size(): number {
    return this.#listed.length + this.#summarised + this.#digestAlerts;
  }

  /** Held digests. */
  get digests(): number {
    return this.#digests.length;
  }

  holdDigest(digest: Digest, key?: string): void {
    this.#digests.push({ digest, ...(key !== undefined ? { key } : {}) });
    this.#digestAlerts += Math.max(1, digestCount(digest));
  }

  /** The oldest held digest, to go out as the next message. */
  takeDigest(): { digest: Digest; key?: string } | undefined {
    const next = this.#digests.shift();
    if (next) this.#digestAlerts -= Math.max(1, digestCount(next.digest));
    return next;
  }

  get listed(): number {
    return this.#listed.length;
  }

  /** Fingerprints of the alerts listed (summarised ones are counted, not kept). */
  *fingerprints(): Iterable<string> {
    for (const { alert } of this.#listed) yield alert.fingerprint;
  }

  get summarised(): number {
    return this.#summarised;
  }

  list(alert: Alert, key?: string): void {
    this.#listed.push({ alert, ...(key !== undefined ? { key } : {}) });
  }

  /** Count an alert instead of listing it. */
  summarise(alert: Alert): void {
    this.merge([
      {
        rule: alert.rule,
        status: alert.status,
        severity: alert.severity,
        count: 1,
        examples: [alert.labels],
      },
    ]);
  }

  merge(summaries: readonly DigestSummary[]): void {
    for (const s of summaries) {
      const id = `${s.rule}${SEP}${s.status}`;
      let g = this.#groups.get(id);
      if (!g) {
        g = { rule: s.rule, status: s.status, severity: s.severity, count: 0, examples: [] };
        this.#groups.set(id, g);
      }
      g.count += s.count;
      this.#summarised += s.count;
      if (SEVERITY_RANK[s.severity] > SEVERITY_RANK[g.severity]) g.severity = s.severity;
      for (const e of s.examples) if (g.examples.length < SUMMARY_EXAMPLES) g.examples.push(e);
    }
  }

  summary(): DigestSummary[] {
    return [...this.#groups.values()].map((g) => ({ ...g, examples: [...g.examples] }));
  }

  /** Listed alerts past the first `keep` are counted instead (a last message must say everything). */
  foldAfter(keep: number): { length: number; keys: string[] } {
    const folded = this.#listed.splice(keep);
    for (const { alert } of folded) this.summarise(alert);
    return { length: folded.length, keys: keysOf(folded) };
  }

  /** The next digest's worth: up to `limit` listed alerts and the whole summary. */
  take(limit: number): { alerts: Alert[]; keys: string[]; summary?: DigestSummary[] } {
    const batch = this.#listed.splice(0, limit);
    const alerts = batch.map((b) => b.alert);
    if (this.#groups.size === 0) return { alerts, keys: keysOf(batch) };
    const summary = this.summary();
    this.#groups.clear();
    this.#summarised = 0;
    return { alerts, keys: keysOf(batch), summary };
  }
}

const keysOf = (entries: ReadonlyArray<{ readonly key?: string }>) =>
  entries.flatMap((e) => (e.key === undefined ? [] : [e.key]));

/** A hold found in the store: one route of one owner. */
export interface SavedHold {
  readonly route: string;
  readonly owner: string;
  readonly heldSince: number;
  /** When its owner last wrote it. */
  readonly savedAtMs: number;
  readonly alerts: Alert[];
  readonly summary: DigestSummary[];
  /** Digests made upstream that it held, in arrival order. */
  readonly digests: Digest[];
  /** Its entries in the store. */
  readonly keys: string[];
}

const isAlert = (a: unknown): a is Alert => (a as Alert | undefined)?.kind === "alert";
const isDigest = (d: unknown): d is Digest =>
  (d as Digest | undefined)?.kind === "digest" && Array.isArray((d as Digest).alerts);

/** Incremental persistence of held alerts: O(1) store writes per held or released alert. */
export class HeldStore {
  readonly #store: StateStore;
  readonly #ns: string;
  readonly #owner: string;
  readonly #logger: Logger;
  readonly #ttlMs: number;
  /** Key sequence, from the clock at start: keys of a restarted owner never collide with old ones. */
  #seq: number;

  constructor(store: StateStore, ns: string, owner: string, logger: Logger, nowMs: number, ttlMs: number) {
    this.#store = store;
    this.#ns = ns;
    this.#owner = owner;
    this.#logger = logger;
    this.#ttlMs = ttlMs;
    this.#seq = Math.max(0, nowMs) * 1000;
  }

  get owner(): string {
    return this.#owner;
  }

  get namespace(): string {
    return this.#ns;
  }

  #key(route: string, part: string): string {
    return `${route}${SEP}${this.#owner}${SEP}${part}`;
  }

  #set(key: string, value: unknown, nowMs: number): void {
    persist(this.#logger, "throttle.held.set", () =>
      this.#store.set(this.#ns, key, value as JsonValue, { ttlMs: this.#ttlMs, nowMs }),
    );
  }

  remove(keys: readonly string[]): void {
    for (const key of keys)
      persist(this.#logger, "throttle.held.delete", () => this.#store.delete(this.#ns, key));
  }

  /** Store one listed alert; its key, to remove it when it is released. */
  add(route: string, alert: Alert, nowMs: number): string {
    const key = this.#key(route, `a${String(++this.#seq).padStart(17, "0")}`);
    this.#set(key, { route, alert }, nowMs);
    return key;
  }

  /** Store one held digest; its key, to remove it when it is released. */
  addDigest(route: string, digest: Digest, nowMs: number): string {
    const key = this.#key(route, `d${String(++this.#seq).padStart(17, "0")}`);
    this.#set(key, { route, digest }, nowMs);
    return key;
  }

  /** The route holds since `heldSince` (written when a hold starts and on each release check). */
  hold(route: string, heldSince: number, nowMs: number): void {
    this.#set(this.#key(route, "m"), { route, heldSince, savedAtMs: nowMs }, nowMs);
  }

  summary(route: string, held: HeldAlerts, nowMs: number): void {
    if (held.summarised === 0) this.remove([this.#key(route, "s")]);
    else this.#set(this.#key(route, "s"), { route, summary: held.summary() }, nowMs);
  }

  /** Nothing held on the route any more. */
  clear(route: string): void {
    this.remove([this.#key(route, "m"), this.#key(route, "s")]);
  }

  /** Every hold in the namespace, grouped by route and owner, alerts in arrival order. */
  load(nowMs: number): MaybePromise<SavedHold[]> {
    return andThen(this.#store.list(this.#ns, nowMs), (entries) => {
      const holds = new Map<string, SavedHold & { heldSince: number; savedAtMs: number }>();
      const holdOf = (route: string, owner: string) => {
        let h = holds.get(`${route}${SEP}${owner}`);
        if (!h) {
          h = {
            route,
            owner,
            heldSince: nowMs,
            savedAtMs: 0,
            alerts: [],
            summary: [],
            digests: [],
            keys: [],
          };
          holds.set(`${route}${SEP}${owner}`, h);
        }
        return h;
      };
      for (const { key, value } of entries) {
        const [keyRoute, owner, part] = key.split(SEP);
        const v = value as Record<string, unknown> | null;
        const route = typeof v?.route === "string" ? v.route : keyRoute;
        if (!v || route === undefined || owner === undefined) continue;
        const h = holdOf(route, owner);
        h.keys.push(key);
        if (part === undefined || part === "m") {
          // The hold record (or, from earlier versions, the whole held list in one entry).
          if (typeof v.heldSince === "number") h.heldSince = v.heldSince;
          if (typeof v.savedAtMs === "number") h.savedAtMs = v.savedAtMs;
          if (Array.isArray(v.alerts)) h.alerts.push(...v.alerts.filter(isAlert));
        } else if (part === "s" && Array.isArray(v.summary)) {
          h.summary.push(...(v.summary as DigestSummary[]).filter((s) => typeof s?.count === "number"));
        } else if (part.startsWith("a") && isAlert(v.alert)) {
          h.alerts.push(v.alert);
        } else if (part.startsWith("d") && isDigest(v.digest)) {
          h.digests.push(v.digest);
        }
      }
      return [...holds.values()].filter(
        (h) => h.alerts.length > 0 || h.summary.length > 0 || h.digests.length > 0 || h.keys.length > 0,
      );
    });
  }
}
