// The signal model: what receivers emit and processors/exporters consume.
// Every item on a pipeline stream is one of these, told apart by `kind`.
import { createHash } from "node:crypto";

export type AttributeValue = string | number | boolean | ReadonlyArray<string | number | boolean | null>;
export type Attributes = Readonly<Record<string, AttributeValue>>;

export interface Scope {
  readonly name: string;
  readonly version?: string;
}

interface MetricPointBase {
  readonly kind: "metric";
  readonly name: string;
  readonly unit: string;
  readonly description?: string;
  readonly attributes: Attributes;
  readonly resource: Attributes;
  readonly scope: Scope;
  /** Point time, ms since the epoch (from the sender). */
  readonly time: number;
  /** Start of the point's interval, ms since the epoch, when the sender gave one. */
  readonly startTime?: number;
  /** Temporality the sender used; values below are always deltas for sums and histograms. */
  readonly temporality?: "delta" | "cumulative";
}

export interface GaugePoint extends MetricPointBase {
  readonly type: "gauge";
  readonly value: number;
}

export interface SumPoint extends MetricPointBase {
  readonly type: "sum";
  /** Change over the point's interval (cumulative series are converted to deltas per series). */
  readonly value: number;
  readonly monotonic: boolean;
}

/** Explicit-bucket histogram; exponential histograms are converted to this form. */
export interface HistogramPoint extends MetricPointBase {
  readonly type: "histogram";
  readonly count: number;
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
  /** Upper bounds, ascending; bucketCounts has bounds.length + 1 entries (last is +Inf). */
  readonly bounds: readonly number[];
  readonly bucketCounts: readonly number[];
}

export type MetricPoint = GaugePoint | SumPoint | HistogramPoint;

export interface SpanEvent {
  readonly name: string;
  readonly time: number;
  readonly attributes: Attributes;
}

export type SpanKind = "internal" | "server" | "client" | "producer" | "consumer" | "unspecified";

export interface SpanSignal {
  readonly kind: "span";
  readonly name: string;
  readonly spanKind: SpanKind;
  readonly status: { readonly code: "unset" | "ok" | "error"; readonly message?: string };
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly startTime: number;
  readonly endTime: number;
  readonly durationMs: number;
  readonly attributes: Attributes;
  readonly resource: Attributes;
  readonly scope: Scope;
  readonly events: readonly SpanEvent[];
}

/** A log record (OTLP LogRecord), from the OTel logs bridges of pino, winston, bunyan and the like. */
export interface LogSignal {
  readonly kind: "log";
  /** When the event happened, ms since the epoch (the observed time when the sender gave none). */
  readonly time: number;
  /** When the record was observed by the sender's SDK or collector, ms, when given. */
  readonly observedTime?: number;
  /** 1–24: TRACE 1–4, DEBUG 5–8, INFO 9–12, WARN 13–16, ERROR 17–20, FATAL 21–24; 0 = unspecified. */
  readonly severityNumber: number;
  /** The level as the source spelled it ("error", "warn", "50"…), when given. */
  readonly severityText?: string;
  /** The body: text as is; structured bodies as JSON text, like kvlist attributes. */
  readonly body?: AttributeValue;
  readonly eventName?: string;
  readonly attributes: Attributes;
  readonly resource: Attributes;
  readonly scope: Scope;
  readonly traceId?: string;
  readonly spanId?: string;
}

export type LogSeverityName = "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL";
const LOG_SEVERITY_NAMES: readonly LogSeverityName[] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
/** Level words senders use in severity_text when they give no number. */
const LOG_SEVERITY_WORDS: Readonly<Record<string, LogSeverityName>> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO",
  information: "INFO",
  notice: "INFO",
  warn: "WARN",
  warning: "WARN",
  error: "ERROR",
  err: "ERROR",
  fatal: "FATAL",
  critical: "FATAL",
  crit: "FATAL",
  alert: "FATAL",
  emerg: "FATAL",
  panic: "FATAL",
};

/** The Log Data Model's short severity name: from the number, else the text; undefined when neither says. */
export function logSeverityName(
  log: Pick<LogSignal, "severityNumber" | "severityText">,
): LogSeverityName | undefined {
  const n = log.severityNumber;
  if (n >= 1 && n <= 24) return LOG_SEVERITY_NAMES[Math.floor((n - 1) / 4)];
  return log.severityText ? LOG_SEVERITY_WORDS[log.severityText.trim().toLowerCase()] : undefined;
}

export type Severity = "info" | "warning" | "critical";
export type AlertStatus = "firing" | "resolved" | "escalated";

export interface Alert {
  readonly kind: "alert";
  readonly rule: string;
  /** rule + group labels: the identity cooldown, throttle and state key on. */
  readonly fingerprint: string;
  readonly status: AlertStatus;
  readonly severity: Severity;
  readonly component: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Human summary, e.g. "review rate up 62 % over baseline". */
  readonly summary: string;
  readonly value?: number;
  readonly threshold?: number;
  readonly baseline?: number;
  readonly unit?: string;
  readonly comparison?: "above" | "below" | "increase";
  /** When the alert began firing (ms). */
  readonly startsAt: number;
  /** When this notice was produced (ms). */
  readonly at: number;
  readonly endsAt?: number;
  readonly escalationLevel?: number;
  /** Destination route: "default" or an escalation route; throttle and exporters key on it. */
  readonly route?: string;
  /** A notice no resolve will follow (sent through the API): never escalated, never counted as active. */
  readonly oneShot?: boolean;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
  /** Set by the throttle on what it lets through: the window the delivery lane keeps at send time. */
  readonly sendWindow?: SendWindow;
  /**
   * Set by the `incidents` processor: this notice stands for an incident, related alerts grouped
   * under their likely cause (whose rule, fingerprint, labels and values the notice carries).
   */
  readonly incident?: IncidentInfo;
}

/** One alert inside an incident notice. */
export interface IncidentMember {
  /** The member's latest notice: firing, or resolved (with endsAt). */
  readonly alert: Alert;
  /** When it began firing after the incident began, ms (0 for the first). */
  readonly offsetMs: number;
  /** Why it was grouped ("shared host.name=db-1 with disk_usage"); absent for the cause. */
  readonly reason?: string;
}

/** What an incident notice says beyond its cause: every member, and which notice of the incident it is. */
export interface IncidentInfo {
  /** Stable for the incident's life: its opening notice, updates, escalations and resolve share it. */
  readonly id: string;
  /** Rule name of the likely cause: the member that fired first (the most upstream of those together). */
  readonly cause: string;
  /** Members listed, the cause first, then in firing order. */
  readonly members: readonly IncidentMember[];
  /** Members past the processor's `max_members`, counted per rule and status instead of listed. */
  readonly summarised?: readonly DigestSummary[];
  /** 1 for the opening notice, one more for each later notice of the incident. */
  readonly revision: number;
  /** On the resolve: from the first member's firing to the last member's resolve, ms. */
  readonly durationMs?: number;
}

/**
 * The throttle window a message counts in: at most `max` messages of `route` per rolling `windowMs`
 * at each destination, counted when they were sent; `id` is the throttle's admission of it.
 */
export interface SendWindow {
  readonly route: string;
  readonly id: string;
  readonly windowMs: number;
  readonly max: number;
}

/** Held alerts past the throttle's bound, counted per rule and status instead of listed. */
export interface DigestSummary {
  readonly rule: string;
  readonly status: AlertStatus;
  /** The highest severity among them. */
  readonly severity: Severity;
  readonly count: number;
  /** Labels of the first few, so a reader sees which hosts (or series) they are. */
  readonly examples: readonly Readonly<Record<string, string>>[];
}

/** Several held alerts, released by the throttle as one message (or muted ones, when a silence ends). */
export interface Digest {
  readonly kind: "digest";
  readonly route: string;
  readonly alerts: readonly Alert[];
  /** Alerts held past `max_held_alerts`: accounted for by count, not listed. */
  readonly summarised?: readonly DigestSummary[];
  readonly windowStart: number;
  readonly at: number;
  readonly sendWindow?: SendWindow;
  /** Set on the digest of what a silence muted: the alerts are what it muted and is over. */
  readonly silence?: SilenceSummary;
}

/** How many alerts a digest accounts for: those listed and those counted in its summary. */
export function digestCount(digest: Digest): number {
  let n = digest.alerts.length;
  for (const s of digest.summarised ?? []) n += s.count;
  return n;
}

/** The silence a "while silenced" digest reports on. */
export interface SilenceSummary {
  readonly id: string;
  readonly comment: string;
  readonly createdBy: string;
  readonly startsAt: number;
  readonly endsAt: number;
  /** The silence's matchers as text, e.g. `alertname="system_health", service_name="svc-x"`. */
  readonly matchers: string;
  /** Muted notices in all (an alert muted several times counts each time). */
  readonly mutedNotices: number;
  /** Muted alerts still firing when it ended: sent on their own at once, not in the digest. */
  readonly stillFiring: number;
}

export interface ErrorEvent {
  readonly kind: "error";
  readonly error: { readonly type: string; readonly message: string; readonly stack?: string };
  /** Sentry level (default "error"); a log record's severity sets it. */
  readonly level?: "fatal" | "error" | "warning" | "info" | "debug";
  /** What was logged with the exception (a log record's body), when it says more than the exception. */
  readonly message?: string;
  /** The logger the exception came through (a log record's instrumentation scope). */
  readonly logger?: string;
  readonly component: string;
  readonly operation?: string;
  readonly artifactId?: string;
  readonly pipelineState?: Readonly<Record<string, unknown>>;
  readonly llm?: {
    readonly provider?: string;
    readonly model?: string;
    readonly promptTokens?: number;
    readonly completionTokens?: number;
    readonly cost?: number;
  };
  readonly user?: Readonly<Record<string, unknown>>;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly time: number;
  readonly attributes?: Attributes;
  readonly resource?: Attributes;
}

/**
 * A rule's word on a firing alert it restored after a restart; bookkeeping, never a message.
 * `restored`: at start, firing as far as the rule knows, not yet confirmed by any data;
 * `confirmed`: fresh data breach again. Notice processors keep time-driven work (escalation, a
 * held repeat) off an alert until it is confirmed; an unconfirmed one resolves stale instead.
 */
export interface AlertLiveness {
  readonly kind: "liveness";
  readonly state: "restored" | "confirmed";
  /** The firing alert as it stands (confirmed: with the fresh values). */
  readonly alert: Alert;
  readonly at: number;
}

export type Signal = MetricPoint | SpanSignal | LogSignal;
export type Notice = Alert | Digest | ErrorEvent;
/** Anything that flows on a pipeline stream. */
export type Item = Signal | Notice | AlertLiveness;

export const isAlert = (item: Item): item is Alert => item.kind === "alert";
export const isMetric = (item: Item): item is MetricPoint => item.kind === "metric";
export const isSpan = (item: Item): item is SpanSignal => item.kind === "span";
export const isLog = (item: Item): item is LogSignal => item.kind === "log";

/** An alert fingerprint as unauthenticated surfaces (/status) show it: a hash, never label values. */
export function fingerprintHash(fingerprint: string): string {
  return createHash("sha256").update(fingerprint).digest("hex").slice(0, 16);
}

/** Stable series key: resource + scope + attributes, order-independent. */
export function seriesKey(point: {
  name: string;
  resource: Attributes;
  scope?: Scope;
  attributes: Attributes;
}): string {
  return `${point.name}|${stableStringify(point.resource)}|${point.scope?.name ?? ""}|${stableStringify(point.attributes)}`;
}

export function stableStringify(attrs: Attributes): string {
  const keys = Object.keys(attrs).sort();
  let out = "";
  for (const k of keys) out += `${k}=${JSON.stringify(attrs[k])};`;
  return out;
}
