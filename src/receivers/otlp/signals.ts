// The three OTLP signals the receiver serves: their paths, partial-success fields and counters.

export type OtlpSignal = "metrics" | "traces" | "logs";

export const OTLP_PATHS: Readonly<Record<string, OtlpSignal>> = {
  "/v1/metrics": "metrics",
  "/v1/traces": "traces",
  "/v1/logs": "logs",
};

/** The count field of each Export*PartialSuccess, as the OTLP JSON mapping spells it. */
export const REJECTED_FIELD: Readonly<Record<OtlpSignal, string>> = {
  metrics: "rejectedDataPoints",
  traces: "rejectedSpans",
  logs: "rejectedLogRecords",
};

export interface OtlpCounters {
  requests: number;
  accepted_points: number;
  accepted_spans: number;
  accepted_log_records: number;
  rejected_points: number;
  rejected_spans: number;
  rejected_log_records: number;
  bad_requests: number;
}

export function newOtlpCounters(): OtlpCounters {
  return {
    requests: 0,
    accepted_points: 0,
    accepted_spans: 0,
    accepted_log_records: 0,
    rejected_points: 0,
    rejected_spans: 0,
    rejected_log_records: 0,
    bad_requests: 0,
  };
}

const COUNTER_SUFFIX: Readonly<Record<OtlpSignal, "points" | "spans" | "log_records">> = {
  metrics: "points",
  traces: "spans",
  logs: "log_records",
};

/** Counts one request's accepted and rejected items under its signal. */
export function countItems(
  counters: OtlpCounters,
  signal: OtlpSignal,
  accepted: number,
  rejected: number,
): void {
  const suffix = COUNTER_SUFFIX[signal];
  counters[`accepted_${suffix}`] += accepted;
  counters[`rejected_${suffix}`] += rejected;
}
