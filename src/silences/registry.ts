// The silences of a collector, kept in the state store's key-value namespace `silences` (key: id):
// durable on SQLite, shared by every instance on Redis. One registry per store, shared by the API
// and every silence processor, so a change made through the API reaches the processors at once;
// other instances see it when their processors next read the store.
import { randomUUID } from "node:crypto";
import { andThen, type JsonValue, type MaybePromise, type StateStore } from "../state/store.ts";
import type { Matcher } from "./matchers.ts";
import {
  isActive,
  type Silence,
  SilenceError,
  type SilenceInput,
  silenceProblem,
  silenceState,
} from "./silence.ts";

export const SILENCES_NAMESPACE = "silences";
/** Expired silences stay listed this long (Alertmanager's default data retention, 120 h). */
export const SILENCE_RETENTION_MS = 120 * 3_600_000;

export type SilenceListener = (silence: Silence) => void;

const registries = new WeakMap<StateStore, SilenceRegistry>();

function sameMatchers(a: readonly Matcher[], b: readonly Matcher[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A stored value back to a Silence; anything malformed is skipped, not trusted. */
function fromStored(value: JsonValue | undefined): Silence | undefined {
  const s = value as Partial<Silence> | undefined;
  if (!s || typeof s !== "object" || typeof s.id !== "string" || !Array.isArray(s.matchers)) return undefined;
  if (typeof s.startsAt !== "number" || typeof s.endsAt !== "number") return undefined;
  return {
    id: s.id,
    matchers: s.matchers.map((m) => ({
      name: String(m.name),
      value: String(m.value),
      isRegex: m.isRegex === true,
      isEqual: m.isEqual !== false,
    })),
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    createdBy: String(s.createdBy ?? ""),
    comment: String(s.comment ?? ""),
    updatedAt: typeof s.updatedAt === "number" ? s.updatedAt : s.startsAt,
  };
}

/** Alertmanager's rule: change in place only what does not alter what was already muted. */
function canUpdate(prev: Silence, next: SilenceInput, nowMs: number): boolean {
  if (!sameMatchers(prev.matchers, next.matchers)) return false;
  switch (silenceState(prev, nowMs)) {
    case "active":
      return next.startsAt === prev.startsAt && next.endsAt >= nowMs;
    case "pending":
      return next.startsAt >= nowMs;
    default:
      return false;
  }
}

export class SilenceRegistry {
  readonly #store: StateStore;
  readonly #listeners = new Set<SilenceListener>();

  constructor(store: StateStore) {
    this.#store = store;
  }

  /** The registry of `store`: the same object for the API and every processor using that store. */
  static for(store: StateStore): SilenceRegistry {
    let registry = registries.get(store);
    if (!registry) {
      registry = new SilenceRegistry(store);
      registries.set(store, registry);
    }
    return registry;
  }

  /** Every stored silence (expired ones within retention), in no particular order. */
  list(nowMs: number): MaybePromise<Silence[]> {
    return andThen(this.#store.list(SILENCES_NAMESPACE, nowMs), (entries) =>
      entries.map((e) => fromStored(e.value)).filter((s): s is Silence => s !== undefined),
    );
  }

  active(nowMs: number): MaybePromise<Silence[]> {
    return andThen(this.list(nowMs), (all) => all.filter((s) => isActive(s, nowMs)));
  }

  get(id: string, nowMs: number): MaybePromise<Silence | undefined> {
    return andThen(this.#store.get(SILENCES_NAMESPACE, id, nowMs), fromStored);
  }

  /** Called after every change made through this registry (add, update, expire). */
  onChange(listener: SilenceListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Create a silence, or update the one named by `input.id`. As in Alertmanager, a change that would
   * alter what an active silence already muted (other matchers, another start) expires it and creates
   * a new silence with a new id instead.
   */
  set(input: SilenceInput, nowMs: number): MaybePromise<Silence> {
    const problem = silenceProblem(input);
    if (problem) throw new SilenceError(400, problem);
    if (input.endsAt <= nowMs) throw new SilenceError(400, "end time can't be in the past");
    const prev = input.id ? this.get(input.id, nowMs) : undefined;
    return andThen(prev, (found) => {
      if (input.id && !found) throw new SilenceError(404, `silence ${input.id} not found`);
      if (found && canUpdate(found, input, nowMs))
        return this.#save({ ...found, ...input, updatedAt: nowMs }, nowMs);
      const replaced =
        found && silenceState(found, nowMs) !== "expired" ? this.#end(found, nowMs) : undefined;
      const created: Silence = {
        id: randomUUID(),
        matchers: input.matchers,
        startsAt: Math.max(input.startsAt, nowMs),
        endsAt: input.endsAt,
        createdBy: input.createdBy,
        comment: input.comment,
        updatedAt: nowMs,
      };
      return andThen(replaced, () => this.#save(created, nowMs));
    });
  }

  /** End a silence now; an already expired one is left as it is. */
  expire(id: string, nowMs: number): MaybePromise<Silence> {
    return andThen(this.get(id, nowMs), (found) => {
      if (!found) throw new SilenceError(404, `silence ${id} not found`);
      if (silenceState(found, nowMs) === "expired") return found;
      return this.#end(found, nowMs);
    });
  }

  #end(s: Silence, nowMs: number): MaybePromise<Silence> {
    // A pending silence never started: it ends before it began, muting nothing.
    const startsAt = silenceState(s, nowMs) === "pending" ? nowMs : s.startsAt;
    return this.#save({ ...s, startsAt, endsAt: nowMs, updatedAt: nowMs }, nowMs);
  }

  #save(s: Silence, nowMs: number): MaybePromise<Silence> {
    const stored: Silence = { ...s, matchers: s.matchers.map((m) => ({ ...m })) };
    const ttlMs = Math.max(0, s.endsAt - nowMs) + SILENCE_RETENTION_MS;
    const written = this.#store.set(SILENCES_NAMESPACE, s.id, stored as unknown as JsonValue, {
      ttlMs,
      nowMs,
    });
    return andThen(written, () => {
      for (const listener of this.#listeners) listener(stored);
      return stored;
    });
  }
}
