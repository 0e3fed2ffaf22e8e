// Seed helpers (PipelineMetrics, DatabaseMetrics): record the alert contract's signals with the
// right names, units and attributes on an OpenTelemetry Meter, so rules find them by name.
import { type Counter, type Gauge, type Histogram, type Meter, metrics } from "@opentelemetry/api";
import { AggregationType, type ViewOptions } from "@opentelemetry/sdk-metrics";

/** Default meter name the helpers record on. */
export const PIPELINE_METER_NAME = "alertpipe.pipeline";

/**
 * Latency buckets in seconds reaching past 60 s: the semantic-convention default stops at 10 s,
 * which would hide the fetch_latency rule's 60 s threshold inside the +Inf bucket.
 */
export const LONG_LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 15, 30, 45, 60, 90, 120, 300,
];

/** Contract metric names (DESIGN.md, "signal contract"). */
export const PipelineMetricNames = {
  artifactsProcessed: "pipeline.artifacts.processed",
  artifactsReviewFlagged: "pipeline.artifacts.review_flagged",
  validationChecks: "pipeline.validation.checks",
  rpcCalls: "pipeline.rpc.calls",
  rpcDuration: "pipeline.rpc.duration",
  dbFailures: "pipeline.db.failures",
  dbOperationDuration: "db.client.operation.duration",
  healthScore: "pipeline.health.score",
  httpClientDuration: "http.client.request.duration",
} as const;

/** A view giving `http.client.request.duration` (what HTTP auto-instrumentation records) long buckets. */
export function httpClientDurationView(
  boundaries: readonly number[] = LONG_LATENCY_BUCKETS_SECONDS,
): ViewOptions {
  return {
    instrumentName: PipelineMetricNames.httpClientDuration,
    aggregation: {
      type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
      options: { boundaries: [...boundaries], recordMinMax: true },
    },
  };
}

/** Every view alertpipe wants on a MeterProvider (pass as `views`). */
export function alertpipeViews(): ViewOptions[] {
  return [httpClientDurationView()];
}

export interface ArtifactRecord {
  readonly roasterId: string;
  readonly platform: string;
  readonly flaggedForReview: boolean;
}

export interface RpcCallRecord {
  readonly method: string;
  readonly ok: boolean;
  readonly durationMs?: number;
  /** Error class or code on failures; defaults to "_OTHER" as semantic conventions do. */
  readonly errorType?: string;
}

export interface DbFailureRecord {
  readonly operation?: string;
  readonly errorType?: string;
  /** Database system, e.g. "postgresql". */
  readonly system?: string;
}

export interface DbQueryRecord extends DbFailureRecord {
  readonly ok: boolean;
  readonly durationMs?: number;
}

/** Instruments shared by both helpers; creating the same instrument twice on a Meter is deduplicated. */
class ContractInstruments {
  readonly rpcCalls: Counter;
  readonly rpcDuration: Histogram;
  readonly dbFailures: Counter;
  readonly dbDuration: Histogram;

  constructor(meter: Meter) {
    this.rpcCalls = meter.createCounter(PipelineMetricNames.rpcCalls, {
      description: "Database RPC calls; failures carry error.type",
      unit: "{call}",
    });
    this.rpcDuration = meter.createHistogram(PipelineMetricNames.rpcDuration, {
      description: "Duration of database RPC calls",
      unit: "s",
      advice: { explicitBucketBoundaries: [...LONG_LATENCY_BUCKETS_SECONDS] },
    });
    this.dbFailures = meter.createCounter(PipelineMetricNames.dbFailures, {
      description: "Failed database operations",
      unit: "{failure}",
    });
    this.dbDuration = meter.createHistogram(PipelineMetricNames.dbOperationDuration, {
      description: "Duration of database client operations",
      unit: "s",
      advice: { explicitBucketBoundaries: [...LONG_LATENCY_BUCKETS_SECONDS] },
    });
  }

  recordRpcCall(call: RpcCallRecord): void {
    const attributes: Record<string, string> = { "rpc.method": call.method };
    if (!call.ok) attributes["error.type"] = call.errorType ?? "_OTHER";
    this.rpcCalls.add(1, attributes);
    if (call.durationMs !== undefined && Number.isFinite(call.durationMs) && call.durationMs >= 0) {
      this.rpcDuration.record(call.durationMs / 1000, attributes);
    }
  }

  recordDbFailure(failure: DbFailureRecord): void {
    this.dbFailures.add(1, dbAttributes(failure, true));
  }

  recordDbQuery(query: DbQueryRecord): void {
    const attributes = dbAttributes(query, !query.ok);
    if (!query.ok) this.dbFailures.add(1, attributes);
    if (query.durationMs !== undefined && Number.isFinite(query.durationMs) && query.durationMs >= 0) {
      this.dbDuration.record(query.durationMs / 1000, attributes);
    }
  }
}

function dbAttributes(record: DbFailureRecord, failed: boolean): Record<string, string> {
  const attributes: Record<string, string> = {};
  if (record.system) attributes["db.system.name"] = record.system;
  if (record.operation) attributes["db.operation.name"] = record.operation;
  if (failed) attributes["error.type"] = record.errorType ?? "_OTHER";
  return attributes;
}

/** The scraper's pipeline metrics (the seed's PipelineMetrics). */
export class PipelineMetrics {
  private readonly processed: Counter;
  private readonly reviewFlagged: Counter;
  private readonly validationChecks: Counter;
  private readonly healthScore: Gauge;
  private readonly shared: ContractInstruments;

  constructor(meter: Meter = metrics.getMeter(PIPELINE_METER_NAME)) {
    this.processed = meter.createCounter(PipelineMetricNames.artifactsProcessed, {
      description: "Artifacts processed, per roaster and platform",
      unit: "{artifact}",
    });
    this.reviewFlagged = meter.createCounter(PipelineMetricNames.artifactsReviewFlagged, {
      description: "Artifacts flagged for manual review, per roaster and platform",
      unit: "{artifact}",
    });
    this.validationChecks = meter.createCounter(PipelineMetricNames.validationChecks, {
      description: "Validation checks by outcome (pass/fail)",
      unit: "{check}",
    });
    this.healthScore = meter.createGauge(PipelineMetricNames.healthScore, {
      description: "Overall pipeline health score, 0 (down) to 100 (healthy)",
      unit: "{score}",
    });
    this.shared = new ContractInstruments(meter);
  }

  /** One processed artifact; counts it as review-flagged too when it was. */
  recordArtifact(artifact: ArtifactRecord): void {
    const attributes = { "roaster.id": artifact.roasterId, platform: artifact.platform };
    this.processed.add(1, attributes);
    if (artifact.flaggedForReview) this.reviewFlagged.add(1, attributes);
  }

  /** One validation check's outcome. */
  recordValidation(ok: boolean): void {
    this.validationChecks.add(1, { "validation.outcome": ok ? "pass" : "fail" });
  }

  recordRpcCall(call: RpcCallRecord): void {
    this.shared.recordRpcCall(call);
  }

  recordDbFailure(failure: DbFailureRecord = {}): void {
    this.shared.recordDbFailure(failure);
  }

  /** Health score 0–100; values outside are clamped, non-finite ones ignored. */
  setHealthScore(score: number): void {
    if (!Number.isFinite(score)) return;
    this.healthScore.record(Math.min(100, Math.max(0, score)));
  }
}

/** The scraper's database metrics (the seed's DatabaseMetrics). */
export class DatabaseMetrics {
  private readonly shared: ContractInstruments;

  constructor(meter: Meter = metrics.getMeter(PIPELINE_METER_NAME)) {
    this.shared = new ContractInstruments(meter);
  }

  /** One RPC call (Supabase-style stored procedure); failures feed rpc_error_rate. */
  recordRpcCall(call: RpcCallRecord): void {
    this.shared.recordRpcCall(call);
  }

  /** One query: duration histogram, and a failure count when it failed (database_failures). */
  recordQuery(query: DbQueryRecord): void {
    this.shared.recordDbQuery(query);
  }

  recordFailure(failure: DbFailureRecord = {}): void {
    this.shared.recordDbFailure(failure);
  }
}
