// The outbox hook: every queued delivery is reported here, so a durable store can persist what is
// pending and hand it back after a restart. The in-memory default keeps the same contract.

export interface OutboxRecord<P = unknown> {
  readonly id: string;
  /** Stable, non-secret destination key (e.g. "slack:default"), never the webhook URL. */
  readonly destination: string;
  readonly payload: P;
  readonly rule?: string;
  /** Enqueue time, ms (scheduler clock). */
  readonly enqueuedAt: number;
}

export interface Outbox<P = unknown> {
  onEnqueue(record: OutboxRecord<P>): void | Promise<void>;
  onDelivered(id: string): void | Promise<void>;
  onFailed(id: string, reason: string): void | Promise<void>;
  /** Records still pending (enqueued, neither delivered nor failed): re-sent on start. */
  pending(): readonly OutboxRecord<P>[] | Promise<readonly OutboxRecord<P>[]>;
}

/** Default outbox: tracks pending records in memory (lost on restart, like any memory state). */
export class MemoryOutbox<P = unknown> implements Outbox<P> {
  readonly #pending = new Map<string, OutboxRecord<P>>();

  onEnqueue(record: OutboxRecord<P>): void {
    this.#pending.set(record.id, record);
  }

  onDelivered(id: string): void {
    this.#pending.delete(id);
  }

  onFailed(id: string): void {
    this.#pending.delete(id);
  }

  pending(): readonly OutboxRecord<P>[] {
    return [...this.#pending.values()];
  }
}
