// OTLP/HTTP protobuf bodies ↔ the OTLP JSON shape the normalizer reads, through protobufjs and the
// schema in otlp-proto-schema.ts (otlp-transformer ≥ 0.200 ships only writers, no decoding root).
import { createRequire } from "node:module";
import type * as protobuf from "protobufjs";
import { OtlpRequestError } from "./fields.ts";
import { OTLP_PROTO } from "./otlp-proto-schema.ts";
import { type OtlpSignal, REJECTED_FIELD } from "./signals.ts";

interface Types {
  readonly requests: Readonly<Record<OtlpSignal, protobuf.Type>>;
  readonly responses: Readonly<Record<OtlpSignal, protobuf.Type>>;
  readonly status: protobuf.Type;
}
let loaded: Types | undefined;

/** protobufjs and the schema, loaded on the first protobuf body: JSON-only and in-process runs never pay. */
function types(): Types {
  if (!loaded) {
    const pb = createRequire(import.meta.url)("protobufjs") as typeof protobuf;
    const root = pb.parse(OTLP_PROTO, { keepCase: false }).root;
    const type = (name: string): protobuf.Type => root.lookupType(`otlp.${name}`);
    loaded = {
      requests: {
        metrics: type("ExportMetricsServiceRequest"),
        traces: type("ExportTraceServiceRequest"),
        logs: type("ExportLogsServiceRequest"),
      },
      responses: {
        metrics: type("ExportMetricsServiceResponse"),
        traces: type("ExportTraceServiceResponse"),
        logs: type("ExportLogsServiceResponse"),
      },
      status: type("RpcStatus"),
    };
  }
  return loaded;
}

/**
 * 64-bit ints as decimal strings, exactly what the proto3 JSON mapping writes (protobufjs reads them
 * as long.js Longs, so no digit is lost: nanosecond timestamps keep their sub-millisecond part and an
 * int64 attribute its every digit), bytes as base64, enums as numbers, absent fields left out.
 */
const TO_OBJECT: protobuf.IConversionOptions = {
  longs: String,
  bytes: String,
  enums: Number,
  defaults: false,
};

/** Decodes a protobuf Export*ServiceRequest into its OTLP JSON shape (ids as hex). Throws OtlpRequestError. */
export function decodeProtobufRequest(signal: OtlpSignal, body: Uint8Array): Record<string, unknown> {
  const t = types().requests[signal];
  let decoded: protobuf.Message;
  try {
    decoded = t.decode(body);
  } catch (err) {
    throw new OtlpRequestError(`invalid protobuf ${t.name}: ${(err as Error).message}`);
  }
  const obj = t.toObject(decoded, TO_OBJECT);
  IDS[signal](obj, b64ToHex);
  return obj;
}

type Obj = Record<string, unknown>;
type Convert = (id: unknown) => unknown;
const each = (v: unknown): Obj[] => (v as Obj[] | undefined) ?? [];

const b64ToHex: Convert = (v) => (typeof v === "string" ? Buffer.from(v, "base64").toString("hex") : v);
const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const hexToB64: Convert = (v) =>
  typeof v === "string" && HEX.test(v) ? Buffer.from(v, "hex").toString("base64") : v;

/** trace_id / span_id / parent_span_id of one message, converted in place. */
function ids(m: Obj, convert: Convert): void {
  if (m.traceId !== undefined) m.traceId = convert(m.traceId);
  if (m.spanId !== undefined) m.spanId = convert(m.spanId);
  if (m.parentSpanId !== undefined) m.parentSpanId = convert(m.parentSpanId);
}

/**
 * Every trace/span id of a request, converted in place: the OTLP JSON mapping writes them as hex,
 * protobufjs as base64 (bytes), so the two paths meet in the JSON form.
 */
const IDS: Readonly<Record<OtlpSignal, (req: Obj, convert: Convert) => void>> = {
  traces(req, convert) {
    for (const rs of each(req.resourceSpans))
      for (const ss of each(rs.scopeSpans))
        for (const span of each(ss.spans)) {
          ids(span, convert);
          for (const link of each(span.links)) ids(link, convert);
        }
  },
  logs(req, convert) {
    for (const rl of each(req.resourceLogs))
      for (const sl of each(rl.scopeLogs)) for (const record of each(sl.logRecords)) ids(record, convert);
  },
  metrics(req, convert) {
    for (const rm of each(req.resourceMetrics))
      for (const sm of each(rm.scopeMetrics))
        for (const metric of each(sm.metrics)) {
          const data = (metric.gauge ?? metric.sum ?? metric.histogram ?? metric.exponentialHistogram) as
            | Obj
            | undefined;
          for (const point of each(data?.dataPoints))
            if (point.exemplars !== undefined)
              for (const exemplar of each(point.exemplars)) ids(exemplar, convert);
        }
  },
};

/** Export*ServiceResponse, protobuf-encoded; an empty message when nothing was rejected. */
export function encodeProtobufResponse(
  signal: OtlpSignal,
  rejected: number,
  errorMessage: string,
): Uint8Array {
  const t = types().responses[signal];
  const body = rejected > 0 ? { partialSuccess: { [REJECTED_FIELD[signal]]: rejected, errorMessage } } : {};
  return t.encode(t.fromObject(body)).finish();
}

/** google.rpc.Status, the error body of OTLP/HTTP protobuf responses. */
export function encodeProtobufStatus(code: number, message: string): Uint8Array {
  const { status } = types();
  return status.encode(status.fromObject({ code, message })).finish();
}

/** For tests and benchmarks: encodes an OTLP JSON-shaped request (ids as hex) as protobuf. */
export function encodeProtobufRequest(signal: OtlpSignal, req: Record<string, unknown>): Uint8Array {
  const t = types().requests[signal];
  const copy = structuredClone(req);
  IDS[signal](copy, hexToB64);
  return t.encode(t.fromObject(copy)).finish();
}
