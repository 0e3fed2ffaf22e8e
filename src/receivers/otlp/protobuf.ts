// OTLP/HTTP protobuf bodies ↔ the OTLP JSON shape the normalizer reads, through protobufjs and the
// schema in otlp-proto-schema.ts (otlp-transformer ≥ 0.200 ships only writers, no decoding root).
import protobuf from "protobufjs";
import { OtlpRequestError } from "./fields.ts";
import { OTLP_PROTO } from "./otlp-proto-schema.ts";

const root = protobuf.parse(OTLP_PROTO, { keepCase: false }).root;
const type = (name: string): protobuf.Type => root.lookupType(`otlp.${name}`);

const MetricsRequest = type("ExportMetricsServiceRequest");
const TracesRequest = type("ExportTraceServiceRequest");
const MetricsResponse = type("ExportMetricsServiceResponse");
const TracesResponse = type("ExportTraceServiceResponse");
const RpcStatus = type("RpcStatus");

/**
 * 64-bit ints as numbers (without long.js protobufjs decodes them to doubles anyway, so strings
 * would add work, not precision), bytes as base64, enums as numbers, absent fields left out.
 */
const TO_OBJECT: protobuf.IConversionOptions = {
  longs: Number,
  bytes: String,
  enums: Number,
  defaults: false,
};

export type Signal = "metrics" | "traces";

/** Decodes a protobuf Export*ServiceRequest into its OTLP JSON shape (ids as hex). Throws OtlpRequestError. */
export function decodeProtobufRequest(signal: Signal, body: Uint8Array): Record<string, unknown> {
  const t = signal === "metrics" ? MetricsRequest : TracesRequest;
  let decoded: protobuf.Message;
  try {
    decoded = t.decode(body);
  } catch (err) {
    throw new OtlpRequestError(`invalid protobuf ${t.name}: ${(err as Error).message}`);
  }
  const obj = t.toObject(decoded, TO_OBJECT);
  if (signal === "traces") idsToHex(obj);
  return obj;
}

function b64ToHex(v: unknown): unknown {
  return typeof v === "string" ? Buffer.from(v, "base64").toString("hex") : v;
}

/** The OTLP JSON mapping writes trace/span ids as hex, not base64: convert so both paths agree. */
function idsToHex(req: Record<string, unknown>): void {
  for (const rs of (req.resourceSpans as Record<string, unknown>[] | undefined) ?? []) {
    for (const ss of (rs.scopeSpans as Record<string, unknown>[] | undefined) ?? []) {
      for (const span of (ss.spans as Record<string, unknown>[] | undefined) ?? []) {
        span.traceId = b64ToHex(span.traceId);
        span.spanId = b64ToHex(span.spanId);
        if (span.parentSpanId !== undefined) span.parentSpanId = b64ToHex(span.parentSpanId);
      }
    }
  }
}

/** Export*ServiceResponse, protobuf-encoded; an empty message when nothing was rejected. */
export function encodeProtobufResponse(signal: Signal, rejected: number, errorMessage: string): Uint8Array {
  if (signal === "metrics") {
    const body = rejected > 0 ? { partialSuccess: { rejectedDataPoints: rejected, errorMessage } } : {};
    return MetricsResponse.encode(MetricsResponse.fromObject(body)).finish();
  }
  const body = rejected > 0 ? { partialSuccess: { rejectedSpans: rejected, errorMessage } } : {};
  return TracesResponse.encode(TracesResponse.fromObject(body)).finish();
}

/** google.rpc.Status, the error body of OTLP/HTTP protobuf responses. */
export function encodeProtobufStatus(code: number, message: string): Uint8Array {
  return RpcStatus.encode(RpcStatus.fromObject({ code, message })).finish();
}

/** For tests and benchmarks: encodes an OTLP JSON-shaped request as protobuf. */
export function encodeProtobufRequest(signal: Signal, req: Record<string, unknown>): Uint8Array {
  const t = signal === "metrics" ? MetricsRequest : TracesRequest;
  return t.encode(t.fromObject(req)).finish();
}
