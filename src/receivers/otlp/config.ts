// Config of the `otlp` receiver (pipeline.yaml `receivers.otlp`): strict, every field defaulted.
import { z } from "zod";
import { duration } from "../../config/duration.ts";
import { captureConfigSchema } from "./capture.ts";
import { DEFAULT_LIMITS, type OtlpNormalizerOptions } from "./normalize.ts";

export const DEFAULT_ENDPOINT = "127.0.0.1:4318";

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `host:port` or `[v6]:port` → parts; undefined when malformed. */
export function parseEndpoint(endpoint: string): HostPort | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(endpoint.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? m[2] ?? "";
  return { host: host === "" ? "0.0.0.0" : host, port };
}

const positiveInt = (def: number, description: string) =>
  z.number().int().positive().default(def).meta({ description });

export const otlpReceiverConfigSchema = z
  .strictObject({
    endpoint: z
      .string()
      .default(DEFAULT_ENDPOINT)
      .refine((v) => parseEndpoint(v) !== undefined, {
        message: "endpoint must be host:port, e.g. 127.0.0.1:4318",
      })
      .meta({
        description:
          "Listen address host:port ([v6]:port; port 0 = any free port; ALERTPIPE_OTLP_ENDPOINT). 0.0.0.0 accepts other hosts: set auth.token then.",
      }),
    max_request_body_size: positiveInt(
      4 * 1024 * 1024,
      "Largest request body in bytes, before and after decompression (4 MiB); larger ones get 413.",
    ),
    auth: z
      .strictObject({
        token: z.string().min(1).optional().meta({
          description:
            "Bearer token every request must carry (Authorization: Bearer …); unset = no authentication. Never logged.",
        }),
      })
      .prefault({})
      .meta({ description: "Request authentication." }),
    limits: z
      .strictObject({
        max_attributes: positiveInt(
          128,
          "Most attributes per data point, span, log record or resource; more and it is rejected (counted, partial success).",
        ),
        max_attribute_value_length: positiveInt(
          4096,
          "Longest attribute value (or log body) in characters; a longer one rejects its point, span or log record (counted, partial success).",
        ),
        max_attributes_bytes: positiveInt(
          DEFAULT_LIMITS.maxAttributesBytes,
          "UTF-8 bytes of one point's, span's, event's, log record's (body included) or resource's attribute keys and values together; more rejects it (counted, partial success).",
        ),
        max_series_key_bytes: positiveInt(
          DEFAULT_LIMITS.maxSeriesKeyBytes,
          "Bytes of a metric series' identity (name, scope, resource and point attributes); a longer one rejects the point (counted, partial success).",
        ),
      })
      .prefault({})
      .meta({ description: "Limits that keep one bad sender from flooding memory." }),
    delta: z
      .strictObject({
        series_ttl: duration("s").prefault(3600).meta({
          description:
            "Time (seconds, or 1h…) a cumulative series may go unseen before its delta baseline is forgotten (its next point starts anew).",
        }),
        max_series: positiveInt(
          100_000,
          "Most cumulative series tracked at once; the least recently seen is dropped first.",
        ),
        max_bytes: positiveInt(
          DEFAULT_LIMITS.maxBaselineBytes,
          "Most bytes of delta baselines kept in memory and in the state store; the least recently seen is dropped first.",
        ),
      })
      .prefault({})
      .meta({
        description:
          "Cumulative sums and histograms become deltas per series: how long and how many are remembered.",
      }),
    capture: captureConfigSchema.optional(),
  })
  .meta({
    description:
      "OTLP/HTTP receiver: POST /v1/metrics, /v1/traces and /v1/logs, JSON or protobuf, gzip, deflate or zstd; what the scrapers' OpenTelemetry SDKs export to.",
  });

export type OtlpReceiverConfig = z.output<typeof otlpReceiverConfigSchema>;

/** The normalizer settings of a receiver config (the live receiver's and `alertpipe replay`'s). */
export function normalizerOptions(config: OtlpReceiverConfig): OtlpNormalizerOptions {
  return {
    maxAttributes: config.limits.max_attributes,
    maxAttributeValueLength: config.limits.max_attribute_value_length,
    maxAttributesBytes: config.limits.max_attributes_bytes,
    maxSeriesKeyBytes: config.limits.max_series_key_bytes,
    seriesTtlMs: config.delta.series_ttl * 1000,
    maxSeries: config.delta.max_series,
    maxBaselineBytes: config.delta.max_bytes,
  };
}
