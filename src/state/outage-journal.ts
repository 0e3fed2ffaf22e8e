// The journal a FallbackStore keeps while Redis is away, and the push that replays it (plus every
// cooldown and admission this instance knows) when Redis returns. Every step is idempotent, so a
// push interrupted by another outage is simply repeated.
import type { MemoryStateStore } from "./memory-store.ts";
import type { OutboxMirror } from "./outbox-mirror.ts";
import type { RedisOutbox } from "./redis-outbox.ts";
import type { RedisStateStore } from "./redis-store.ts";
import type { DeadLetter } from "./store.ts";

/** How long reconciliation holds a local entry while moving it to Redis. */
const RECONCILE_LEASE_MS = 60_000;

/** An outbox operation on a shared (Redis) entry, made while Redis was away. */
export type RemoteOp =
  | { kind: "ack" }
  // `dead`: the dead letter to record should Redis have lost the entry meanwhile.
  | { kind: "fail"; reason: string; nowMs: number; dead?: DeadLetter }
  | { kind: "release"; owner: string };

export class OutageJournal {
  readonly #local: MemoryStateStore;
  readonly #instanceId: string;
  readonly #keyValues = new Map<string, { namespace: string; key: string }>();
  readonly #cooldowns = new Map<string, number>();
  readonly #admissions = new Map<string, { route: string; id: string; atMs: number; windowMs: number }>();
  readonly #remoteOps = new Map<string, RemoteOp>();

  constructor(local: MemoryStateStore, instanceId: string) {
    this.#local = local;
    this.#instanceId = instanceId;
  }

  keyValue(namespace: string, key: string): void {
    this.#keyValues.set(JSON.stringify([namespace, key]), { namespace, key });
  }

  cooldown(fingerprint: string, untilMs: number): void {
    this.#cooldowns.set(fingerprint, untilMs);
  }

  /** A clear is not pushed: the shared deadline expires by itself. */
  clearCooldown(fingerprint: string): void {
    this.#cooldowns.delete(fingerprint);
  }

  admission(route: string, id: string, atMs: number, windowMs: number): void {
    this.#admissions.set(JSON.stringify([route, id]), { route, id, atMs, windowMs });
  }

  remoteOp(id: string, op: RemoteOp): void {
    this.#remoteOps.set(id, op);
  }

  /** Whether anything is left to push (new work may arrive while a push awaits Redis). */
  hasWork(): boolean {
    return (
      this.#keyValues.size > 0 ||
      this.#cooldowns.size > 0 ||
      this.#admissions.size > 0 ||
      this.#remoteOps.size > 0 ||
      this.#local.deadLetters().length > 0 ||
      this.#local
        .listDestinations()
        .some((destination) => this.#local.pending(destination).some((entry) => entry.owner === undefined))
    );
  }

  /**
   * Push the journal and everything this instance knows to Redis, outbox first; idempotent, safe
   * to repeat. Operations on entries Redis lost apply to their re-enqueued copies (`mirror`).
   */
  async push(remote: RedisStateStore, mirror: OutboxMirror, nowMs: number): Promise<void> {
    const { outbox } = remote;
    for (const [id, op] of [...this.#remoteOps]) {
      const current = mirror.resolve(id);
      if (!outbox.isStale(current)) await applyRemoteOp(outbox, current, op);
      // Settled while Redis was losing it: only a failure leaves a trace, its dead letter.
      else if (op.kind === "fail" && op.dead) await outbox.importDeadLetter(`reset:dead:${id}`, op.dead);
      if (this.#remoteOps.get(id) === op) this.#remoteOps.delete(id);
    }
    const dead = this.#local.takeDeadLetters();
    try {
      for (let i = 0; i < dead.length; i++) {
        const letter = dead[i] as DeadLetter;
        await outbox.importDeadLetter(`${this.#instanceId}:dead:${letter.id}`, letter);
      }
    } catch (error) {
      this.#local.restoreDeadLetters(dead);
      throw error;
    }
    const owner = `${this.#instanceId}:reconcile`;
    for (const destination of this.#local.listDestinations()) {
      for (const pending of this.#local.pending(destination)) {
        // Entries claimed for delivery stay local until acked or released.
        const entry = this.#local.reserve(pending.id, owner, RECONCILE_LEASE_MS, nowMs);
        if (!entry) continue;
        try {
          await outbox.importEntry(
            `${this.#instanceId}:${entry.id}`,
            destination,
            entry.payload,
            entry.enqueuedAtMs,
          );
        } catch (error) {
          this.#local.release(entry.id, owner);
          throw error;
        }
        this.#local.ack(entry.id);
      }
    }
    for (const [mark, { namespace, key }] of [...this.#keyValues]) {
      this.#keyValues.delete(mark);
      const entry = this.#local.rawEntry(namespace, key, nowMs);
      try {
        await (entry ? remote.setEntry(namespace, entry) : remote.delete(namespace, key));
      } catch (error) {
        this.#keyValues.set(mark, { namespace, key });
        throw error;
      }
    }
    // Every cooldown and admission this instance knows is pushed (idempotently), not only those made
    // while degraded: a Redis that restarted empty gets them back.
    for (const { fingerprint, untilMs } of this.#local.cooldowns(nowMs)) {
      await remote.raiseCooldown(fingerprint, untilMs, nowMs);
      if (this.#cooldowns.get(fingerprint) === untilMs) this.#cooldowns.delete(fingerprint);
    }
    for (const [fingerprint, untilMs] of [...this.#cooldowns]) {
      if (untilMs <= nowMs) this.#cooldowns.delete(fingerprint);
    }
    for (const admission of this.#local.throttleLogs(nowMs)) {
      await remote.importAdmission(admission.route, admission.id, admission.atMs, admission.windowMs);
      this.#admissions.delete(JSON.stringify([admission.route, admission.id]));
    }
    for (const [mark, admission] of [...this.#admissions]) {
      if (admission.atMs <= nowMs - admission.windowMs) this.#admissions.delete(mark);
    }
  }
}

export async function applyRemoteOp(outbox: RedisOutbox, id: string, op: RemoteOp): Promise<void> {
  if (op.kind === "ack") await outbox.ack(id);
  else if (op.kind === "fail") await outbox.failEntry(id, op.reason, op.nowMs);
  else await outbox.release(id, op.owner);
}
