// `silence` processor: a notice of an alert an active silence matches (Alertmanager matchers on the
// alert's Prometheus-form labels) is muted: not passed on, but recorded in the key-value namespace
// `silence.muted/<component id>` (key: fingerprint, value {alert: latest notice, silences, notices}).
// When the silences muting an alert are all over (expired through the API, or their endsAt reached:
// a scheduler timer), the alerts still firing are passed on at once and the rest leave as one
// digest per silence ("while silenced … N alerts muted"). Nothing muted is lost: records survive a
// restart (SQLite) and any instance may release them (Redis: one instance per silence, by a lock).
//
// Place it after cooldown and escalation (re-fires are deduplicated before they are recorded, and
// escalations of a silenced alert are muted too) and before throttle (muted notices take no slot
// in the destination's window; what a silence releases is throttled like any other notice).
import type { Logger } from "pino";
import { interval, type SchedulerLike, type Subscription } from "rxjs";
import { z } from "zod";
import { defineFactory, type Processor } from "../src/component.ts";
import { duration } from "../src/config/duration.ts";
import type { Alert, Item } from "../src/signal.ts";
import { alertLabelSet } from "../src/silences/labels.ts";
import { matchesAll } from "../src/silences/matchers.ts";
import { SILENCE_RETENTION_MS, SilenceRegistry } from "../src/silences/registry.ts";
import { isActive, type Silence } from "../src/silences/silence.ts";
import { MemoryStateStore } from "../src/state/memory-store.ts";
import {
  andThen,
  isPromise,
  type JsonValue,
  type MaybePromise,
  type StateStore,
} from "../src/state/store.ts";
import type { NoticeSink } from "../src/telemetry/notices.ts";
import { Outlets } from "./rules/stream.ts";
import {
  type MutedRecord,
  mutedDigest,
  recordOf,
  silenceMutedNamespace,
  unstoredSilence,
} from "./silence-records.ts";
import {
  type Emit,
  guarded,
  noticeStream,
  persist,
  RESUBSCRIBE_WAIT_MS,
  Sequencer,
} from "./state-sequence.ts";

export const silenceConfigSchema = z
  .strictObject({
    sync_interval: duration("s").prefault(10).meta({
      description:
        "Time between reads of a shared state store (Redis) for silences other instances added or expired: seconds, or 30s, 1m….",
    }),
  })
  .meta({
    description:
      "Mutes notices of alerts an active silence matches (recorded, never dropped); when it ends, what still fires is sent and the rest leave as one digest.",
  });
export type SilenceConfig = z.output<typeof silenceConfigSchema>;

export interface SilenceProcessor extends Processor {
  readonly silences: SilenceRegistry;
  /** Alerts whose notices passed this point (muted or not) and still fire: the API's view. */
  firingAlerts(): Alert[];
  /** Whether a notice of this firing alert reached this point (else it is upstream still). */
  hasProcessed(fingerprint: string): boolean;
  status(): {
    silences_active: number;
    muted_notices: number;
    muted_alerts: number;
    released: number;
    digests_sent: number;
  };
  shutdown(): Promise<void>;
}

/** One-shot notices (no resolve follows) count as firing this long after they passed. */
const ONE_SHOT_VISIBLE_MS = 5 * 60_000;
/** How long a release lock of a shared store holds: past it, records a dead instance left are released. */
const RELEASE_LOCK_MS = 5 * 60_000;
const MAX_TRACKED = 10_000;
const MAX_TIMER_MS = 24 * 3_600_000;

export { type MutedRecord, silenceMutedNamespace } from "./silence-records.ts";

export function createSilenceProcessor(
  config: SilenceConfig,
  scheduler: SchedulerLike,
  logger: Logger,
  store: { readonly state: StateStore; readonly id: string },
  notices?: NoticeSink,
): SilenceProcessor {
  const registry = SilenceRegistry.for(store.state);
  const ns = silenceMutedNamespace(store.id);
  const shared = store.state.backend === "redis";
  const outlets = new Outlets();
  const sequencer = new Sequencer(logger);
  /** Firing alerts seen here; `live` once a notice or fresh data (a confirmed liveness) showed it. */
  const tracked = new Map<string, { alert: Alert; live: boolean; until?: number }>();
  const muted = new Map<string, MutedRecord>();
  const timers = new Map<string, { endsAt: number; timer: Subscription }>();
  const counts = { muted: 0, released: 0, digests: 0 };
  let known: Silence[] = [];

  const silencesNow = (now: number): MaybePromise<Silence[]> =>
    guarded(
      logger,
      "silences.list",
      () =>
        andThen(registry.list(now), (all) => {
          known = all;
          return all;
        }),
      () => known,
    );

  const track = (item: Alert, now: number, live = true) => {
    tracked.delete(item.fingerprint);
    if (item.status === "resolved") return;
    const until = item.oneShot ? now + ONE_SHOT_VISIBLE_MS : undefined;
    tracked.set(item.fingerprint, until === undefined ? { alert: item, live } : { alert: item, live, until });
    if (tracked.size > MAX_TRACKED) tracked.delete(tracked.keys().next().value as string);
  };

  const save = (key: string, record: MutedRecord, now: number) => {
    muted.set(key, record);
    persist(logger, "silence.muted.set", () =>
      store.state.set(ns, key, record as unknown as JsonValue, { ttlMs: SILENCE_RETENTION_MS, nowMs: now }),
    );
  };

  const mute = (item: Alert, muting: readonly Silence[], now: number): MaybePromise<void> => {
    const by = muting.map((s) => s.id);
    counts.muted++;
    const previous = guarded(
      logger,
      "silence.muted.get",
      () => andThen(store.state.get(ns, item.fingerprint, now), recordOf),
      () => muted.get(item.fingerprint),
    );
    return andThen(previous, (prev) => {
      const record: MutedRecord = {
        alert: item,
        silences: [...new Set([...(prev?.silences ?? []), ...by])],
        notices: (prev?.notices ?? 0) + 1,
        firstMutedAt: prev?.firstMutedAt ?? now,
        lastMutedAt: now,
      };
      logger.debug({ fingerprint: item.fingerprint, silences: record.silences }, "notice muted by a silence");
      const reason = muting.map((s) => `"${s.comment}" (${s.createdBy}, ${s.id})`).join("; ");
      notices?.record({ outcome: "muted", item, component: store.id, at: now, reason });
      save(item.fingerprint, record, now);
    });
  };

  const decide = (item: Alert, emit: Emit): MaybePromise<void> => {
    const now = scheduler.now();
    return andThen(silencesNow(now), (all) => {
      const labels = alertLabelSet(item);
      const muting = all.filter((s) => isActive(s, now) && matchesAll(s.matchers, labels));
      track(item, now);
      if (muting.length === 0) return emit(item);
      return mute(item, muting, now);
    });
  };

  /** Pass on what one ended silence muted: the still firing alerts, then a digest of the rest. */
  const release = (silence: Silence, records: ReadonlyArray<[string, MutedRecord]>, now: number) => {
    const lock = shared
      ? guarded(
          logger,
          "tryAcquireCooldown",
          () =>
            store.state.tryAcquireCooldown(
              `silence.release\u001f${ns}\u001f${silence.id}\u001f${silence.endsAt}`,
              now + RELEASE_LOCK_MS,
              now,
            ),
          () => true,
        )
      : true;
    return andThen(lock, (mine) => {
      if (!mine) return; // another instance is releasing them
      // Firing as far as this process knows. A record restored from before a restart is only as
      // live as its data: unconfirmed since, it goes in the digest (marked firing), not on its own.
      // On a shared store another instance's record is taken at its word.
      const live = ([key, r]: [string, MutedRecord]) =>
        r.alert.status !== "resolved" &&
        r.alert.oneShot !== true &&
        (shared || tracked.get(key)?.live === true);
      const firing = records.filter(live);
      const rest = records.filter((entry) => !live(entry));
      for (const [, r] of firing) {
        counts.released++;
        outlets.next({ ...r.alert, at: now });
      }
      if (rest.length > 0) {
        counts.digests++;
        const all = records.map(([, r]) => r);
        outlets.next(
          mutedDigest(
            silence,
            rest.map(([, r]) => r),
            all,
            firing.length,
            now,
          ),
        );
      }
      logger.info(
        { silence: silence.id, still_firing: firing.length, digested: rest.length },
        "silence over: muted alerts released",
      );
      for (const [key] of records) {
        muted.delete(key);
        persist(logger, "silence.muted.delete", () => store.state.delete(ns, key));
      }
    });
  };

  /** Release every record no active silence mutes any more, grouped by the silence that ended last. */
  const sweep = (now: number): MaybePromise<void> =>
    andThen(store.state.list(ns, now), (entries) =>
      andThen(silencesNow(now), (all) => {
        const byId = new Map(all.map((s) => [s.id, s]));
        const active = all.filter((s) => isActive(s, now));
        const groups = new Map<string, { silence: Silence; records: Array<[string, MutedRecord]> }>();
        muted.clear();
        for (const { key, value } of entries) {
          const record = recordOf(value);
          if (!record) continue;
          muted.set(key, record);
          const labels = alertLabelSet(record.alert);
          const muting = active.filter((s) => matchesAll(s.matchers, labels)).map((s) => s.id);
          if (muting.length > 0) {
            // Still muted; a silence added since it was last muted now shares it.
            if (muting.some((id) => !record.silences.includes(id))) {
              const joined = { ...record, silences: [...new Set([...record.silences, ...muting])] };
              save(key, joined, now);
            }
            continue;
          }
          const ended = record.silences
            .map((id) => byId.get(id))
            .filter((s): s is Silence => s !== undefined)
            .sort((a, b) => b.endsAt - a.endsAt)[0];
          // Its silence is gone from the store (past retention): still released, never dropped.
          const silence = ended ?? unstoredSilence(record);
          const group = groups.get(silence.id) ?? { silence, records: [] };
          group.records.push([key, record]);
          groups.set(silence.id, group);
        }
        if (groups.size === 0) return;
        if (outlets.size === 0) {
          // Restored before the pipeline subscribed: nobody to hand them to yet.
          scheduler.schedule(() => runSweep(), RESUBSCRIBE_WAIT_MS);
          return;
        }
        const list = [...groups.values()];
        const next = (i: number): MaybePromise<void> => {
          const g = list[i];
          return g ? andThen(release(g.silence, g.records, now), () => next(i + 1)) : undefined;
        };
        return next(0);
      }),
    );

  const runSweep = () =>
    sequencer.run(
      () => sweep(scheduler.now()),
      (err) => logger.error({ err: String(err) }, "silence: releasing muted alerts failed"),
    );

  /** A timer at each silence's end; a silence already over is swept now. */
  const arm = (list: readonly Silence[]) => {
    const now = scheduler.now();
    let over = false;
    for (const s of list) {
      const armed = timers.get(s.id);
      if (armed?.endsAt === s.endsAt) continue;
      armed?.timer.unsubscribe();
      timers.delete(s.id);
      if (s.endsAt <= now) {
        over = true;
        continue;
      }
      // Timers past ~24 days overflow to "now": wake up daily and look again.
      const timer = scheduler.schedule(
        () => {
          timers.delete(s.id);
          if (s.endsAt > scheduler.now()) arm([s]);
          else runSweep();
        },
        Math.min(s.endsAt - now, MAX_TIMER_MS),
      );
      timers.set(s.id, { endsAt: s.endsAt, timer });
    }
    if (over) runSweep();
  };

  const sync = () =>
    sequencer.run(
      () =>
        andThen(silencesNow(scheduler.now()), (all) => {
          arm(all);
          return sweep(scheduler.now());
        }),
      (err) => logger.warn({ err: String(err) }, "silence: could not read the silences"),
    );

  const unlisten = registry.onChange((s) => {
    known = [...known.filter((k) => k.id !== s.id), s];
    arm([s]);
  });
  // Silences added and expired elsewhere reach a shared store; a local one tells us itself.
  const polling = shared ? interval(config.sync_interval * 1000, scheduler).subscribe(sync) : undefined;
  sync();

  const handle = (item: Item, emit: Emit) => {
    if (item.kind === "liveness") {
      // A rule's firing alert restored after a restart: firing, but live only once data confirm it.
      const seen = tracked.get(item.alert.fingerprint);
      if (item.state === "confirmed" || !seen?.live) track(item.alert, item.at, item.state === "confirmed");
      return emit(item);
    }
    if (item.kind !== "alert") return emit(item);
    sequencer.run(
      () => decide(item, emit),
      (err) => {
        logger.error({ err: String(err) }, "silence failed on an alert; passing it through");
        emit(item);
      },
    );
  };

  const processor = noticeStream(store.state, { outlets, sequencer, logger, handle });

  return {
    ...processor,
    silences: registry,
    firingAlerts() {
      const now = scheduler.now();
      const out: Alert[] = [];
      for (const [fp, t] of tracked) {
        if (t.until !== undefined && t.until <= now) tracked.delete(fp);
        else out.push(t.alert);
      }
      return out;
    },
    hasProcessed: (fingerprint) => tracked.has(fingerprint),
    status() {
      const now = scheduler.now();
      const listed = registry.list(now);
      if (!isPromise(listed)) known = listed;
      return {
        silences_active: known.filter((s) => isActive(s, now)).length,
        muted_notices: counts.muted,
        muted_alerts: muted.size,
        released: counts.released,
        digests_sent: counts.digests,
      };
    },
    async shutdown() {
      polling?.unsubscribe();
      unlisten();
      await sequencer.idle();
      for (const t of timers.values()) t.timer.unsubscribe();
      timers.clear();
    },
  };
}

export const silenceFactory = defineFactory({
  kind: "processor",
  type: "silence",
  configSchema: silenceConfigSchema,
  create: (config, context): SilenceProcessor =>
    createSilenceProcessor(
      config,
      context.scheduler,
      context.logger,
      {
        // Bare (no state store): silences live in this processor's own memory.
        state: context.state ?? new MemoryStateStore(),
        id: context.id,
      },
      context.notices,
    ),
});
