// The OTLP JSON request shapes (proto3 JSON mapping, as @opentelemetry/otlp-transformer emits them).
// Every field is optional and loosely typed because the input is untrusted: int64/fixed64 fields may
// be numbers or decimal strings, enums numbers or their names, ids hex (or base64 from lenient senders).

export type Int64Like = number | string;

export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64Like;
  doubleValue?: number | string | null;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  bytesValue?: string;
}

export interface OtlpKeyValue {
  key?: string;
  value?: OtlpAnyValue;
}

export interface OtlpResource {
  attributes?: OtlpKeyValue[];
  droppedAttributesCount?: number;
}

export interface OtlpScope {
  name?: string;
  version?: string;
  attributes?: OtlpKeyValue[];
}

export interface OtlpNumberDataPoint {
  attributes?: OtlpKeyValue[];
  startTimeUnixNano?: Int64Like;
  timeUnixNano?: Int64Like;
  asDouble?: number | string | null;
  asInt?: Int64Like;
  flags?: number;
}

export interface OtlpHistogramDataPoint {
  attributes?: OtlpKeyValue[];
  startTimeUnixNano?: Int64Like;
  timeUnixNano?: Int64Like;
  count?: Int64Like;
  sum?: number | string | null;
  bucketCounts?: Int64Like[];
  explicitBounds?: (number | string)[];
  min?: number | string | null;
  max?: number | string | null;
  flags?: number;
}

export interface OtlpExponentialBuckets {
  offset?: number;
  bucketCounts?: Int64Like[];
}

export interface OtlpExponentialHistogramDataPoint {
  attributes?: OtlpKeyValue[];
  startTimeUnixNano?: Int64Like;
  timeUnixNano?: Int64Like;
  count?: Int64Like;
  sum?: number | string | null;
  scale?: number;
  zeroCount?: Int64Like;
  positive?: OtlpExponentialBuckets;
  negative?: OtlpExponentialBuckets;
  min?: number | string | null;
  max?: number | string | null;
  zeroThreshold?: number | string;
  flags?: number;
}

export type OtlpTemporality = number | string;

export interface OtlpMetric {
  name?: string;
  description?: string;
  unit?: string;
  gauge?: { dataPoints?: OtlpNumberDataPoint[] };
  sum?: {
    dataPoints?: OtlpNumberDataPoint[];
    aggregationTemporality?: OtlpTemporality;
    isMonotonic?: boolean;
  };
  histogram?: { dataPoints?: OtlpHistogramDataPoint[]; aggregationTemporality?: OtlpTemporality };
  exponentialHistogram?: {
    dataPoints?: OtlpExponentialHistogramDataPoint[];
    aggregationTemporality?: OtlpTemporality;
  };
  summary?: { dataPoints?: unknown[] };
}

export interface OtlpScopeMetrics {
  scope?: OtlpScope;
  metrics?: OtlpMetric[];
  schemaUrl?: string;
}

export interface OtlpResourceMetrics {
  resource?: OtlpResource;
  scopeMetrics?: OtlpScopeMetrics[];
  schemaUrl?: string;
}

/** ExportMetricsServiceRequest in OTLP JSON form. */
export interface OtlpMetricsRequest {
  resourceMetrics?: OtlpResourceMetrics[];
}

export interface OtlpSpanEvent {
  timeUnixNano?: Int64Like;
  name?: string;
  attributes?: OtlpKeyValue[];
}

export interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  traceState?: string;
  name?: string;
  kind?: number | string;
  startTimeUnixNano?: Int64Like;
  endTimeUnixNano?: Int64Like;
  attributes?: OtlpKeyValue[];
  events?: OtlpSpanEvent[];
  links?: unknown[];
  status?: { code?: number | string; message?: string };
}

export interface OtlpScopeSpans {
  scope?: OtlpScope;
  spans?: OtlpSpan[];
  schemaUrl?: string;
}

export interface OtlpResourceSpans {
  resource?: OtlpResource;
  scopeSpans?: OtlpScopeSpans[];
  schemaUrl?: string;
}

/** ExportTraceServiceRequest in OTLP JSON form. */
export interface OtlpTracesRequest {
  resourceSpans?: OtlpResourceSpans[];
}

export interface OtlpLogRecord {
  timeUnixNano?: Int64Like;
  observedTimeUnixNano?: Int64Like;
  severityNumber?: number | string;
  severityText?: string;
  body?: OtlpAnyValue;
  attributes?: OtlpKeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
  traceId?: string;
  spanId?: string;
  eventName?: string;
}

export interface OtlpScopeLogs {
  scope?: OtlpScope;
  logRecords?: OtlpLogRecord[];
  schemaUrl?: string;
}

export interface OtlpResourceLogs {
  resource?: OtlpResource;
  scopeLogs?: OtlpScopeLogs[];
  schemaUrl?: string;
}

/** ExportLogsServiceRequest in OTLP JSON form. */
export interface OtlpLogsRequest {
  resourceLogs?: OtlpResourceLogs[];
}
