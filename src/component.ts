// The component model: every receiver, processor and exporter is built by a factory that owns
// its config schema (with defaults) and an optional semantic `validate`, like the OTel Collector.
import type { Logger } from "pino";
import type { Observable, OperatorFunction, SchedulerLike } from "rxjs";
import type { z } from "zod";
import type { StageFactory } from "./fuse.ts";
import type { Item } from "./signal.ts";
import type { StateStore } from "./state/store.ts";
import type { NoticeSink } from "./telemetry/notices.ts";

export type ComponentKind = "receiver" | "processor" | "exporter";

/** What every component gets at creation. */
export interface ComponentContext {
  /** Component id as written in pipeline.yaml, e.g. "threshold/memory_usage". */
  readonly id: string;
  /** The only clock components may use: tests inject a TestScheduler. */
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  /** Directory of the pipeline.yaml, for resolving relative paths. */
  readonly configDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Durable state shared by stateful components (memory, sqlite or redis); absent in bare tests. */
  readonly state?: StateStore;
  /** Where a component tells what became of a notice (sent, failed, muted, held); absent in bare tests. */
  readonly notices?: NoticeSink;
}

/** Counters and flags a component reports in /status; never secrets. */
export type ComponentStatus = Readonly<Record<string, unknown>>;

export interface Receiver {
  /** Hot stream of signals; shared by every pipeline that lists the receiver. */
  readonly signals: Observable<Item>;
  start(): Promise<void>;
  shutdown(): Promise<void>;
  status?(): ComponentStatus;
  /** A receiver with a server: whether it accepts connections now (readiness, /-/ready). */
  listening?(): boolean;
}

/** What a notice processor is doing about a firing alert now (shown by the web view). */
export interface AlertMark {
  /** The alert's fingerprint (rule + group labels), as on the Alert. */
  readonly fingerprint: string;
  /**
   * `cooldown`: notified, re-fires held back until `until`; `held`: over the throttle's limit, in
   * the next digest at `until`; `escalated`: sent again at `level`; `escalation_due`: escalates at
   * `until`; `awaiting_data`: restored after a restart, nothing happens until data confirm it.
   */
  readonly mark: "cooldown" | "held" | "escalated" | "escalation_due" | "awaiting_data";
  /** The pipeline's clock, ms. */
  readonly until?: number;
  readonly level?: number;
  readonly route?: string;
}

export interface Processor {
  readonly operator: OperatorFunction<Item, Item>;
  /**
   * Optional synchronous form of the same processor (see src/fuse.ts): the pipeline fuses runs
   * of processors offering it into one operator. `operator` must then be derived from it.
   */
  readonly stage?: StageFactory;
  /** Flush anything held (digests, pending) before shutdown. */
  shutdown?(): Promise<void>;
  status?(): ComponentStatus;
  /** What it is doing about firing alerts now (cooldowns, holds, escalations). */
  alertMarks?(nowMs: number): Iterable<AlertMark>;
}

export interface Exporter {
  /** False when the exporter is present but unconfigured (no webhook, no DSN). */
  readonly configured: boolean;
  /** Kinds of items this exporter takes; others are not passed to it. */
  readonly accepts: ReadonlySet<Item["kind"]>;
  export(batch: readonly Item[]): Promise<void>;
  /** Drain or persist what is pending. */
  shutdown(): Promise<void>;
  status?(): ComponentStatus;
  /** Send one test message now, bypassing throttle and queue, and say how it went (`alertpipe test-alert`). */
  probe?(): Promise<ProbeResult[]>;
}

export interface ProbeResult {
  /** Redacted destination, e.g. "https://hooks.slack.com/***". */
  readonly destination: string;
  readonly ok: boolean;
  /** HTTP status or the service's own code. */
  readonly status?: number | string;
  readonly reason?: string;
}

export interface ComponentByKind {
  receiver: Receiver;
  processor: Processor;
  exporter: Exporter;
}

/** A key path inside a component's config section, e.g. ["auth", "token"]. */
export type ConfigKeyPath = readonly (string | number)[];

/** A semantic config problem: the key it concerns, and other keys the message is also about. */
export interface ConfigIssue {
  readonly path: ConfigKeyPath;
  readonly message: string;
  /** Their environment variables are named in the error too (`window from ${env:ALERT_RATE_WINDOW}`). */
  readonly related?: readonly ConfigKeyPath[];
}

/**
 * Thrown by `create` or `start` when a configured value does not work (a taken port, a file that
 * cannot be opened): the error is reported at that key's file:line, naming its env variable.
 */
export class ComponentConfigError extends Error {
  readonly path: ConfigKeyPath;
  readonly related: readonly ConfigKeyPath[];
  constructor(
    path: ConfigKeyPath,
    message: string,
    options: { related?: readonly ConfigKeyPath[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ComponentConfigError";
    this.path = path;
    this.related = options.related ?? [];
  }
}

export interface ComponentFactory<K extends ComponentKind = ComponentKind, C = unknown> {
  readonly kind: K;
  readonly type: string;
  /** Full schema of the component's config section; defaults are filled by parsing `{}`. */
  readonly configSchema: z.ZodType<C>;
  /** Semantic checks the schema cannot express; each issue names the key it concerns. */
  validate?(config: C): readonly ConfigIssue[];
  create(config: C, context: ComponentContext): ComponentByKind[K] | Promise<ComponentByKind[K]>;
}

export type ReceiverFactory<C = unknown> = ComponentFactory<"receiver", C>;
export type ProcessorFactory<C = unknown> = ComponentFactory<"processor", C>;
export type ExporterFactory<C = unknown> = ComponentFactory<"exporter", C>;

/** Identity helper that keeps a factory's config type while checking its shape. */
export function defineFactory<K extends ComponentKind, S extends z.ZodType>(factory: {
  kind: K;
  type: string;
  configSchema: S;
  validate?(config: z.output<S>): readonly ConfigIssue[];
  create(config: z.output<S>, context: ComponentContext): ComponentByKind[K] | Promise<ComponentByKind[K]>;
}): ComponentFactory<K, z.output<S>> {
  return factory as ComponentFactory<K, z.output<S>>;
}
