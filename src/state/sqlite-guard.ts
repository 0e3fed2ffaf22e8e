// The SQLite store as `alertpipe run` uses it: when the file refuses a write (disk full, I/O error,
// read-only, corrupt) it says so — `degraded: true` with the reason, one error log naming the path
// and the SQLite code — keeps new outbox entries and unwritten settlements in memory, and writes
// them to the file once it accepts writes again (tried at most once a second of the pipeline's clock,
// on any call: idle lanes poll). It is
// healthy again once all of it is written and no write has failed for a while: on a full disk some
// writes still fit (into WAL space already allocated), so one success proves nothing.
// Everything stays synchronous, like the file itself.
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { MemoryStateStore } from "./memory-store.ts";
import { describeSqliteError, storageErrorCode } from "./sqlite-file.ts";
import type { SqliteStateStore } from "./sqlite-store.ts";
import type {
  ClaimOptions,
  DeadLetter,
  EnqueueDedupe,
  JsonValue,
  KeyValueEntry,
  OutboxEntry,
  SetOptions,
  StateStore,
  StateStoreStatus,
} from "./store.ts";

const MEMORY_ID_PREFIX = "mem:";
/** How often a degraded store tries to write what it holds in memory. */
const RETRY_MS = 1000;
/** How long without a failed write before a degraded store counts as healthy. */
const QUIET_MS = 5000;

type Settlement =
  | { readonly kind: "ack" }
  | { readonly kind: "fail"; readonly reason: string; readonly nowMs: number; readonly entry?: OutboxEntry }
  | { readonly kind: "release"; readonly owner: string };

export interface GuardedSqliteStoreOptions {
  readonly logger: Logger;
  /** The pipeline's clock (scheduler.now): when it degraded, when to retry. */
  readonly now?: () => number;
}

export class GuardedSqliteStore implements StateStore {
  readonly backend = "sqlite" as const;
  readonly file: SqliteStateStore;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** Outbox entries the file refused, delivered from here and moved to the file when it recovers. */
  // Ids unique to this process: a dead letter moved to the file keeps its id.
  readonly #memory = new MemoryStateStore({
    idPrefix: `${MEMORY_ID_PREFIX}${randomBytes(3).toString("hex")}:`,
  });
  /** File entries claimed through this store until settled (a dead letter needs the entry). */
  readonly #claimed = new Map<string, OutboxEntry>();
  /** Memory id → file id of an entry moved to the file while it was being delivered. */
  readonly #moved = new Map<string, string>();
  /** Settlements of file entries the file refused, in the order they happened. */
  readonly #unwritten = new Map<string, Settlement>();
  #fault: { sinceMs: number; reason: string; lastFailureMs: number } | undefined;
  #lastError: string | undefined;
  #lastRetryMs = Number.NEGATIVE_INFINITY;

  constructor(file: SqliteStateStore, options: GuardedSqliteStoreOptions) {
    this.file = file;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
  }

  get degraded(): boolean {
    return this.#fault !== undefined;
  }

  /** Notices and settlements held in memory because the file refused them. */
  get unsaved(): number {
    let entries = 0;
    for (const destination of this.#memory.listDestinations())
      entries += this.#memory.pendingCount(destination);
    return entries + this.#unwritten.size + this.#memory.deadLetters().length;
  }

  /** Use the file; a storage failure degrades the store, then `fallback` answers (or it throws). */
  #use<T>(what: string, op: () => T, fallback?: () => T): T {
    this.#tick();
    try {
      return op();
    } catch (error) {
      if (!this.#failed(error, what) || !fallback) throw error;
      return fallback();
    }
  }

  #tick(): void {
    if (!this.#fault || this.#now() - this.#lastRetryMs < RETRY_MS) return;
    this.#lastRetryMs = this.#now();
    this.#flush();
  }

  /** Whether `error` is a storage failure (then the store is degraded); other errors pass through. */
  #failed(error: unknown, what: string): boolean {
    const code = storageErrorCode(error);
    if (!code) return false;
    this.#lastError = describeSqliteError(error);
    if (this.#fault) {
      this.#fault.reason = this.#lastError;
      this.#fault.lastFailureMs = this.#now();
      return true;
    }
    this.#fault = { sinceMs: this.#now(), reason: this.#lastError, lastFailureMs: this.#now() };
    this.#logger.error(
      {
        path: this.file.path,
        errno: (error as { errcode?: number }).errcode,
        code,
        op: what,
        err: error instanceof Error ? error.message : String(error),
      },
      "state store cannot write: keeping undelivered notices in memory and retrying",
    );
    return true;
  }

  #recoverIfQuiet(): void {
    if (!this.#fault || this.unsaved > 0 || this.#now() - this.#fault.lastFailureMs < QUIET_MS) return;
    this.#logger.info(
      { path: this.file.path, degraded_since_ms: this.#fault.sinceMs },
      "state store writable again: notices held in memory are saved",
    );
    this.#fault = undefined;
  }

  /** Write what memory holds: settlements first, then entries nobody is delivering, in order. */
  #flush(): void {
    try {
      for (const [id, settlement] of [...this.#unwritten]) {
        settle(this.file, id, settlement);
        this.#unwritten.delete(id);
      }
      for (const dead of this.#memory.takeDeadLetters()) this.file.importDeadLetter(dead);
      for (const destination of this.#memory.listDestinations()) {
        for (const entry of this.#memory.pending(destination)) {
          // One being delivered moves still claimed; its memory id keeps naming it.
          const held = entry.owner !== undefined && (entry.leaseUntilMs ?? 0) > this.#now();
          const { owner: _owner, leaseUntilMs: _lease, ...unclaimed } = entry;
          const id = this.file.importEntry(held ? entry : unclaimed);
          this.#memory.ack(entry.id);
          if (held) {
            this.#moved.set(entry.id, id);
            this.#claimed.set(id, { ...entry, id });
          }
        }
      }
    } catch (error) {
      if (!this.#failed(error, "retry")) {
        this.#logger.error({ path: this.file.path, err: String(error) }, "state store retry failed");
      }
      return;
    }
    this.#recoverIfQuiet();
  }

  get(namespace: string, key: string, nowMs: number): JsonValue | undefined {
    return this.#use("get", () => this.file.get(namespace, key, nowMs));
  }

  set(namespace: string, key: string, value: JsonValue, options?: SetOptions): void {
    this.#use("set", () => this.file.set(namespace, key, value, options));
  }

  delete(namespace: string, key: string): void {
    this.#use("delete", () => this.file.delete(namespace, key));
  }

  list(namespace: string, nowMs: number): KeyValueEntry[] {
    return this.#use("list", () => this.file.list(namespace, nowMs));
  }

  tryAcquireCooldown(fingerprint: string, untilMs: number, nowMs: number): boolean {
    return this.#use("cooldown", () => this.file.tryAcquireCooldown(fingerprint, untilMs, nowMs));
  }

  getCooldown(fingerprint: string, nowMs: number): number | undefined {
    return this.#use("cooldown", () => this.file.getCooldown(fingerprint, nowMs));
  }

  clearCooldown(fingerprint: string): void {
    this.#use("cooldown", () => this.file.clearCooldown(fingerprint));
  }

  throttleAdmit(route: string, nowMs: number, windowMs: number, max: number, id: string): boolean {
    return this.#use("throttle", () => this.file.throttleAdmit(route, nowMs, windowMs, max, id));
  }

  throttleWindow(route: string, nowMs: number, windowMs: number): number[] {
    return this.#use("throttle", () => this.file.throttleWindow(route, nowMs, windowMs));
  }

  enqueue(destination: string, payload: JsonValue, nowMs: number, dedupe?: EnqueueDedupe): string {
    const memory = () => this.#memory.enqueue(destination, payload, nowMs, dedupe);
    this.#tick();
    // Behind entries still held in memory a new one waits there too, so the order is kept.
    if (this.#memory.listDestinations().length > 0) return memory();
    return this.#use("enqueue", () => this.file.enqueue(destination, payload, nowMs, dedupe), memory);
  }

  claim(
    destination: string,
    owner: string,
    leaseMs: number,
    limit: number,
    nowMs: number,
    options?: ClaimOptions,
  ): OutboxEntry[] {
    const fromFile = this.#use(
      "claim",
      () => this.file.claim(destination, owner, leaseMs, limit, nowMs, options),
      () => [],
    ).filter((entry) => !this.#unwritten.has(entry.id));
    for (const entry of fromFile) this.#claimed.set(entry.id, entry);
    const rest = limit - fromFile.length;
    if (rest <= 0) return fromFile;
    return [...fromFile, ...this.#memory.claim(destination, owner, leaseMs, rest, nowMs, options)];
  }

  renew(memoryOrFileId: string, owner: string, leaseMs: number, nowMs: number): boolean {
    this.#tick();
    const id = this.#moved.get(memoryOrFileId) ?? memoryOrFileId;
    if (isMemory(id)) return this.#memory.renew(id, owner, leaseMs, nowMs);
    // A lease the file cannot extend is kept: delivery goes on (at-least-once).
    return this.#use(
      "renew",
      () => this.file.renew(id, owner, leaseMs, nowMs),
      () => true,
    );
  }

  ack(id: string): void {
    this.#settle(id, { kind: "ack" });
  }

  fail(id: string, reason: string, nowMs: number): void {
    const entry = this.#claimed.get(this.#moved.get(id) ?? id);
    this.#settle(id, { kind: "fail", reason, nowMs, ...(entry ? { entry } : {}) });
  }

  release(id: string, owner: string): void {
    this.#settle(id, { kind: "release", owner });
  }

  #settle(memoryOrFileId: string, settlement: Settlement): void {
    this.#tick();
    const id = this.#moved.get(memoryOrFileId) ?? memoryOrFileId;
    this.#moved.delete(memoryOrFileId);
    if (isMemory(id)) {
      settle(this.#memory, id, settlement);
      return;
    }
    // Released too: another instance may settle it from here on.
    this.#claimed.delete(id);
    this.#use(
      settlement.kind,
      () => settle(this.file, id, settlement),
      () => {
        this.#unwritten.set(id, settlement);
      },
    );
  }

  pending(destination: string): OutboxEntry[] {
    const fromFile = this.#use(
      "pending",
      () => this.file.pending(destination),
      () => [],
    ).filter((entry) => this.#unwritten.get(entry.id)?.kind !== "ack" && !this.#isFailed(entry.id));
    return [...fromFile, ...this.#memory.pending(destination)];
  }

  pendingCount(destination: string): number {
    if (this.#unwritten.size > 0) return this.pending(destination).length;
    const fromFile = this.#use(
      "pending",
      () => this.file.pendingCount(destination),
      () => 0,
    );
    return fromFile + this.#memory.pendingCount(destination);
  }

  listDestinations(): string[] {
    const fromFile = this.#use(
      "pending",
      () => this.file.listDestinations(),
      () => [],
    );
    return [...new Set([...fromFile, ...this.#memory.listDestinations()])].sort();
  }

  deadLetters(destination?: string): DeadLetter[] {
    const fromFile = this.#use(
      "dead letters",
      () => this.file.deadLetters(destination),
      () => [],
    );
    const unwritten: DeadLetter[] = [];
    for (const [id, s] of this.#unwritten) {
      if (s.kind !== "fail" || !s.entry || (destination !== undefined && s.entry.destination !== destination))
        continue;
      const { destination: to, payload, enqueuedAtMs, attempts } = s.entry;
      unwritten.push({
        id,
        destination: to,
        payload,
        reason: s.reason,
        enqueuedAtMs,
        failedAtMs: s.nowMs,
        attempts,
      });
    }
    return [...fromFile, ...unwritten, ...this.#memory.deadLetters(destination)];
  }

  #isFailed(id: string): boolean {
    return this.#unwritten.get(id)?.kind === "fail";
  }

  status(): StateStoreStatus {
    const base = this.#use(
      "status",
      () => this.file.status(),
      () => this.file.status(false),
    );
    const unwrittenFailures = [...this.#unwritten.values()].filter((s) => s.kind === "fail").length;
    const status: StateStoreStatus = {
      ...base,
      dead_letters: base.dead_letters + unwrittenFailures + this.#memory.deadLetters().length,
      degraded: this.#fault !== undefined,
    };
    const unsaved = this.unsaved;
    return {
      ...status,
      ...(this.#fault
        ? {
            degraded_since_ms: this.#fault.sinceMs,
            degraded_reason: `cannot write ${this.file.path}: ${this.#fault.reason}`,
          }
        : {}),
      ...(this.#lastError !== undefined ? { last_error: this.#lastError } : {}),
      ...(unsaved > 0 ? { unsaved } : {}),
    };
  }

  async close(): Promise<void> {
    if (this.#fault) this.#flush();
    const unsaved = this.unsaved;
    if (unsaved > 0) {
      this.#logger.error(
        { path: this.file.path, unsaved, reason: this.#fault?.reason },
        "state store still cannot write: notices held in memory are lost with this process",
      );
    }
    await this.file.close();
  }
}

function isMemory(id: string): boolean {
  return id.startsWith(MEMORY_ID_PREFIX);
}

function settle(store: SqliteStateStore | MemoryStateStore, id: string, settlement: Settlement): void {
  if (settlement.kind === "ack") store.ack(id);
  else if (settlement.kind === "fail") store.fail(id, settlement.reason, settlement.nowMs);
  else store.release(id, settlement.owner);
}
