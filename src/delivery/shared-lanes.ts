// The delivery queue's pull mode over a shared outbox (the state store): enqueue stores the record,
// each lane claims the destination's oldest stored entry with a lease and renews it while the
// delivery retries; a poll wakes idle lanes for entries restored after a restart or left by a dead
// instance (claimable once its lease runs out).
import type { Logger } from "pino";
import type { SchedulerLike } from "rxjs";
import { deferred, type Entry, finishEntry, type Lane, lanePending } from "./lane.ts";
import type { OutboxRecord, SharedOutbox } from "./outbox.ts";
import type { DeliveryDestination, DeliveryResult, DeliveryTicket } from "./queue-types.ts";
import { schedulerSleep } from "./timing.ts";

/** What the queue lends its shared mode. */
export interface LaneHost<P> {
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  /** Aborted at shutdown. */
  readonly signal: AbortSignal;
  lane(destination: DeliveryDestination<P>): Lane<P>;
  lanes(): Iterable<Lane<P>>;
  /** Wake the lane's pump. */
  kick(lane: Lane<P>): void;
  outboxError(error: unknown): void;
}

const noop = () => {};

export class SharedLanes<P> {
  readonly #outbox: SharedOutbox<P>;
  readonly #host: LaneHost<P>;
  #polling = false;
  #resolveKey: ((key: string) => DeliveryDestination<P> | undefined) | undefined;

  constructor(outbox: SharedOutbox<P>, host: LaneHost<P>) {
    this.#outbox = outbox;
    this.#host = host;
  }

  /** Store the record; a lane claims it (ours or another instance's). */
  enqueue(destination: DeliveryDestination<P>, record: OutboxRecord<P>): DeliveryTicket {
    const lane = this.#host.lane(destination);
    this.#startPolling();
    const { promise: done, resolve } = deferred<DeliveryResult>();
    const ticket = { resolve, stored: false, enqueuedAt: record.enqueuedAt };
    lane.tickets.set(record.id, ticket);
    const accepted = (async () => {
      try {
        const stored = await this.#outbox.onEnqueue(record);
        ticket.stored = true;
        if (!stored) this.#handOff(lane, record.id, "an identical notice is already in the outbox");
      } catch (error) {
        // The store refused the write: deliver from memory rather than lose the alert.
        this.#host.outboxError(error);
        lane.tickets.delete(record.id);
        lane.entries.push({ record, destination, accepted: Promise.resolve(), attempts: 0, resolve });
      }
    })().finally(() => this.#host.kick(lane));
    return { id: record.id, accepted, done };
  }

  /** Open a lane per stored destination we can resolve; they claim in store order. */
  async restore(resolve: (key: string) => DeliveryDestination<P> | undefined): Promise<number> {
    this.#resolveKey = resolve;
    const reclaimed = await this.#outbox.reclaim();
    if (reclaimed > 0) {
      this.#host.logger.info(
        { reclaimed },
        "took back deliveries this instance's previous run held: delivering them now, not after their lease",
      );
    }
    let restored = 0;
    for (const record of await this.#outbox.pending()) {
      const destination = resolve(record.destination);
      if (!destination) continue;
      this.#host.lane(destination);
      restored++;
    }
    const unknown = (await this.#outbox.destinations()).filter((key) => !resolve(key));
    if (unknown.length > 0) {
      // Kept, not failed: another instance (or a later config) may still deliver them.
      this.#host.logger.warn({ destinations: unknown }, "outbox entries for unconfigured destinations kept");
    }
    this.#startPolling();
    for (const lane of this.#host.lanes()) this.#host.kick(lane);
    return restored;
  }

  #startPolling(): void {
    if (this.#polling || this.#outbox.pollMs <= 0 || this.#host.signal.aborted) return;
    this.#polling = true;
    void (async () => {
      while (await schedulerSleep(this.#host.scheduler, this.#outbox.pollMs, this.#host.signal)) {
        if (this.#resolveKey) {
          try {
            for (const key of await this.#outbox.destinations()) {
              const destination = this.#resolveKey(key);
              if (destination) this.#host.lane(destination);
            }
          } catch (error) {
            this.#host.outboxError(error);
          }
        }
        for (const lane of this.#host.lanes()) this.#host.kick(lane);
      }
    })();
  }

  /** Claim the destination's next stored entry into the lane; false when there is nothing to do. */
  async claimInto(lane: Lane<P>): Promise<boolean> {
    do {
      if (lane.entries.length > 0) return true;
      lane.wake = false;
      let record: OutboxRecord<P> | undefined;
      try {
        record = await this.#outbox.claimNext(lane.destination.key);
      } catch (error) {
        this.#host.outboxError(error);
        return lane.entries.length > 0;
      }
      if (record) {
        const ticket = lane.tickets.get(record.id);
        lane.tickets.delete(record.id);
        const entry: Entry<P> = {
          record,
          destination: lane.destination,
          accepted: Promise.resolve(),
          attempts: 0,
          resolve: ticket?.resolve ?? noop,
          claimed: true,
        };
        this.#holdLease(lane, entry);
        lane.entries.push(entry);
        return true;
      }
    } while (lane.wake && !this.#host.signal.aborted);
    // Nothing claimable: what we stored and still track is held, or was sent, by another instance.
    for (const [id, ticket] of lane.tickets) {
      if (ticket.stored) this.#handOff(lane, id, "claimed by another instance");
    }
    return lane.entries.length > 0;
  }

  /** Renew a claimed entry's lease until it is finished; mark it lost when renewal is refused. */
  #holdLease(lane: Lane<P>, entry: Entry<P>): void {
    const next = () => {
      if (entry.finished || this.#host.signal.aborted) return;
      entry.renewal = this.#host.scheduler.schedule(() => {
        this.#outbox.renew(entry.record.id).then(
          (held) => {
            if (held) return next();
            if (entry.finished) return;
            entry.lost = true;
            this.#host.logger.warn(
              { destination: lane.destination.label, rule: entry.record.rule },
              "delivery lease lost: another instance took the entry over",
            );
          },
          (error: unknown) => {
            this.#host.outboxError(error);
            next();
          },
        );
      }, this.#outbox.renewMs);
    };
    next();
  }

  #handOff(lane: Lane<P>, id: string, reason: string): void {
    const ticket = lane.tickets.get(id);
    if (!ticket) return;
    lane.tickets.delete(id);
    lane.handedOff++;
    ticket.resolve({ id, destination: lane.destination.label, state: "handed_off", attempts: 0, reason });
  }

  /**
   * What status counts as pending for the lane: the stored entries (any instance's, as last
   * counted), plus what this instance holds outside the store (refused writes, enqueues in flight).
   */
  pending(lane: Lane<P>): number {
    const stored = this.#outbox.storedCount(lane.destination.key);
    if (stored === undefined) return lanePending(lane);
    let outside = lane.entries.filter((entry) => !entry.claimed).length;
    for (const ticket of lane.tickets.values()) if (!ticket.stored) outside++;
    return stored + outside;
  }

  /** Drop an entry whose lease another instance took: that one delivers it. */
  dropLost(lane: Lane<P>, entry: Entry<P>): void {
    finishEntry(lane, entry);
    lane.handedOff++;
    this.release(entry);
    entry.resolve({
      id: entry.record.id,
      destination: lane.destination.label,
      state: "handed_off",
      attempts: entry.attempts,
      reason: "lease lost to another instance",
    });
  }

  /** Give a claim back (no-op unless still ours), so another instance or a restart sends it at once. */
  release(entry: Entry<P>): void {
    if (!entry.claimed) return;
    this.#outbox.release(entry.record.id).catch((error: unknown) => this.#host.outboxError(error));
  }
}
