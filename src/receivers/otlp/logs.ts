// ExportLogsServiceRequest (OTLP JSON shape) → LogSignals. Structural errors throw (400); records
// over the attribute limits (the body counts as one more value) are rejected (partial success).
import type { Attributes, LogSignal, Scope } from "../../signal.ts";
import { type AttributeLimits, anyValue, convertAttributes, valueBytes, valueLength } from "./attributes.ts";
import { enumValue, id, nanosToMs, Rejection, reject, str } from "./fields.ts";
import type { OtlpLogRecord } from "./otlp-json.ts";
import { convertItems, type ItemResult, type Nesting } from "./scopes.ts";

const LOGS: Nesting = {
  request: "ExportLogsServiceRequest",
  resources: "resourceLogs",
  scopes: "scopeLogs",
  items: "logRecords",
  item: "LogRecord",
};

const LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
/** SEVERITY_NUMBER_UNSPECIFIED, SEVERITY_NUMBER_TRACE, SEVERITY_NUMBER_TRACE2 … SEVERITY_NUMBER_FATAL4. */
const SEVERITY_NUMBERS = [
  "SEVERITY_NUMBER_UNSPECIFIED",
  ...LEVELS.flatMap((l) => [1, 2, 3, 4].map((i) => `SEVERITY_NUMBER_${l}${i === 1 ? "" : i}`)),
];

/** An all-zero trace or span id is invalid (the spec): the record is simply not linked. */
const ZERO_ID = /^0+$/;

export function normalizeLogs(
  req: unknown,
  limits: AttributeLimits,
  now: () => number,
): ItemResult<LogSignal> {
  return convertItems(req, LOGS, limits, (record, path, resource, scope) =>
    normalizeLog(record as OtlpLogRecord, path, resource, scope, limits, now),
  );
}

function normalizeLog(
  rec: OtlpLogRecord,
  path: string,
  resource: Attributes,
  scope: Scope,
  limits: AttributeLimits,
  now: () => number,
): LogSignal {
  const severityNumber = enumValue(rec.severityNumber, SEVERITY_NUMBERS, `${path}.severityNumber`);
  if (severityNumber < 0 || severityNumber > 24)
    reject(`${path}.severityNumber`, `severity number ${severityNumber} is outside 0–24`);
  const attrs = convertAttributes(rec.attributes, `${path}.attributes`, limits);
  if (attrs.violation) throw new Rejection(attrs.violation);
  const body = rec.body === undefined || rec.body === null ? "" : anyValue(rec.body, `${path}.body`, 0);
  if (valueLength(body) > limits.maxValueLength)
    reject(
      `${path}.body`,
      `exceeds the length limit of ${limits.maxValueLength} (max_attribute_value_length)`,
    );
  const bytes = attrs.bytes + valueBytes(body);
  if (bytes > limits.maxBytes)
    reject(path, `attributes and body of ${bytes} bytes exceed max_attributes_bytes (${limits.maxBytes})`);
  const observedTime = nanosToMs(rec.observedTimeUnixNano, `${path}.observedTimeUnixNano`);
  const out: { -readonly [K in keyof LogSignal]: LogSignal[K] } = {
    kind: "log",
    time: nanosToMs(rec.timeUnixNano, `${path}.timeUnixNano`) ?? observedTime ?? now(),
    severityNumber,
    attributes: attrs.attributes,
    resource,
    scope,
  };
  if (observedTime !== undefined) out.observedTime = observedTime;
  const severityText = str(rec.severityText, `${path}.severityText`);
  if (severityText) out.severityText = severityText;
  if (body !== "") out.body = body;
  const eventName = str(rec.eventName, `${path}.eventName`);
  if (eventName) out.eventName = eventName;
  const traceId = id(rec.traceId, 16, `${path}.traceId`);
  const spanId = id(rec.spanId, 8, `${path}.spanId`);
  if (traceId && !ZERO_ID.test(traceId)) out.traceId = traceId;
  if (spanId && !ZERO_ID.test(spanId) && out.traceId) out.spanId = spanId;
  return out;
}
