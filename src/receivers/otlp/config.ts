// Config of the `otlp` receiver (pipeline.yaml `receivers.otlp`): strict, every field defaulted.
import { z } from "zod";
import { DEFAULT_LIMITS } from "./normalize.ts";

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

export const otlpReceiverConfigSchema = z.strictObject({
  /** Listen address, `host:port` (port 0 = ephemeral). */
  endpoint: z
    .string()
    .default(DEFAULT_ENDPOINT)
    .refine((v) => parseEndpoint(v) !== undefined, {
      message: "endpoint must be host:port, e.g. 127.0.0.1:4318",
    }),
  /** Max body size in bytes, before and after gunzip (default 4 MiB). */
  max_request_body_size: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
  auth: z
    .strictObject({
      /** Bearer token required in `Authorization: Bearer …` when set. */
      token: z.string().min(1).optional(),
    })
    .prefault({}),
  limits: z
    .strictObject({
      max_attributes: z.number().int().positive().default(128),
      max_attribute_value_length: z.number().int().positive().default(4096),
      /** UTF-8 bytes of one point's, span's, event's or resource's attribute keys and values together. */
      max_attributes_bytes: z.number().int().positive().default(DEFAULT_LIMITS.maxAttributesBytes),
      /** Bytes of a metric series' identity: name, scope, resource and point attributes. */
      max_series_key_bytes: z.number().int().positive().default(DEFAULT_LIMITS.maxSeriesKeyBytes),
    })
    .prefault({}),
  delta: z
    .strictObject({
      /** Seconds a cumulative series may go unseen before its delta baseline is forgotten. */
      series_ttl: z.number().positive().default(3600),
      /** Most cumulative series tracked at once (least recently seen dropped first). */
      max_series: z.number().int().positive().default(100_000),
      /** Most bytes of delta baselines kept in memory and in the state store (least recently seen dropped first). */
      max_bytes: z.number().int().positive().default(DEFAULT_LIMITS.maxBaselineBytes),
    })
    .prefault({}),
});

export type OtlpReceiverConfig = z.output<typeof otlpReceiverConfigSchema>;
