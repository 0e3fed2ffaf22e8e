// Decides whether a histogram derived from a span goes out: never while the span's service exports the
// real histogram itself (no double counting), and, for a service seen only moments ago, not before a
// grace period has shown whether it does (its first metric export comes up to an interval later).
import type { SchedulerLike, Subscription } from "rxjs";
import type { HistogramPoint } from "../src/signal.ts";

interface ServiceState {
  firstSeen: number;
  lastActivity: number;
  realSeen?: number;
  pending: HistogramPoint[];
  timer?: Subscription;
}

export interface GateOptions {
  readonly scheduler: SchedulerLike;
  /** A service counts as exporting its own histogram this long after one was seen (ms). */
  readonly ttlMs: number;
  /** Derived points of a newly seen service are held this long (ms); 0 = never held. */
  readonly graceMs: number;
  /** Held points per service beyond this are derived at once (bounded memory). */
  readonly maxPending: number;
}

/** States are swept of services idle longer than the TTL once there are this many. */
const SWEEP_AT = 1024;

export class DerivedHistogramGate {
  private readonly services = new Map<string, ServiceState>();
  private readonly options: GateOptions;
  private sink: ((point: HistogramPoint) => void) | undefined;
  derived = 0;
  suppressed = 0;

  constructor(options: GateOptions) {
    this.options = options;
  }

  /** Where points released later (after a grace period) go: the current subscriber. */
  setSink(sink: ((point: HistogramPoint) => void) | undefined): void {
    this.sink = sink;
  }

  get servicesExporting(): number {
    const now = this.options.scheduler.now();
    let n = 0;
    for (const s of this.services.values())
      if (s.realSeen !== undefined && now - s.realSeen <= this.options.ttlMs) n++;
    return n;
  }

  get held(): number {
    let n = 0;
    for (const s of this.services.values()) n += s.pending.length;
    return n;
  }

  /** A real histogram arrived from this service: it speaks for itself; drop what was held. */
  observeReal(service: string): void {
    const state = this.state(service);
    state.realSeen = state.lastActivity;
    this.suppressed += state.pending.length;
    state.pending = [];
    state.timer?.unsubscribe();
    state.timer = undefined;
  }

  /** A derived point: returned when it should go out now, else held or suppressed. */
  offer(service: string, point: HistogramPoint): HistogramPoint | undefined {
    const state = this.state(service);
    const now = state.lastActivity;
    if (state.realSeen !== undefined && now - state.realSeen <= this.options.ttlMs) {
      this.suppressed++;
      return undefined;
    }
    const inGrace = now - state.firstSeen < this.options.graceMs;
    if (inGrace && state.pending.length < this.options.maxPending) {
      state.pending.push(point);
      state.timer ??= this.options.scheduler.schedule(
        () => this.release(state),
        state.firstSeen + this.options.graceMs - now,
      );
      return undefined;
    }
    this.derived++;
    return point;
  }

  /** Send everything held now (shutdown). */
  flush(): void {
    for (const state of this.services.values()) this.release(state);
  }

  private release(state: ServiceState): void {
    state.timer?.unsubscribe();
    state.timer = undefined;
    const points = state.pending;
    state.pending = [];
    for (const p of points) {
      this.derived++;
      this.sink?.(p);
    }
  }

  private state(service: string): ServiceState {
    const now = this.options.scheduler.now();
    let state = this.services.get(service);
    if (!state) {
      if (this.services.size >= SWEEP_AT) this.sweep(now);
      state = { firstSeen: now, lastActivity: now, pending: [] };
      this.services.set(service, state);
    }
    state.lastActivity = now;
    return state;
  }

  private sweep(now: number): void {
    for (const [key, s] of this.services) {
      if (
        s.pending.length === 0 &&
        now - s.lastActivity > Math.max(this.options.ttlMs, this.options.graceMs)
      ) {
        this.services.delete(key);
      }
    }
  }
}
