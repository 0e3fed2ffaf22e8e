// Public surface of the OTLP receiver.
export {
  DEFAULT_ENDPOINT,
  type OtlpReceiverConfig,
  otlpReceiverConfigSchema,
  parseEndpoint,
} from "./config.ts";
export {
  type NormalizeResult,
  OtlpNormalizer,
  type OtlpNormalizerOptions,
  OtlpRequestError,
} from "./normalize.ts";
export type { OtlpMetricsRequest, OtlpTracesRequest } from "./otlp-json.ts";
export { OtlpReceiver, otlpReceiverFactory } from "./receiver.ts";
