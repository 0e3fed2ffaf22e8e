// `service.status` in pipeline.yaml: where the operating API listens and how it is protected.
import { z } from "zod";
import { duration } from "../config/duration.ts";
import { boolishOr } from "../delivery/config.ts";

export const MIN_TOKEN_LENGTH = 16;

export const statusConfigSchema = z
  .strictObject({
    enabled: boolishOr(true).meta({
      description:
        "Serve the operating API: health probes, /status, /metrics, the web view /ui/ and the Alertmanager v2 API.",
    }),
    endpoint: z
      .string()
      .regex(/^[^:\s]*:\d+$/, "expected host:port")
      .default("127.0.0.1:13133")
      .meta({
        description:
          "Listen address, host:port (port 0 = any free port; ALERTPIPE_STATUS_ENDPOINT). Beyond loopback, set auth.token.",
      }),
    auth: z
      .strictObject({
        token: z
          .string()
          .default("")
          .refine((t) => t === "" || t.length >= MIN_TOKEN_LENGTH, {
            message: `expected at least ${MIN_TOKEN_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`,
          })
          .meta({
            description:
              "Bearer token every mutating call needs (silences, posted alerts; ALERTPIPE_STATUS_TOKEN); empty = open.",
          }),
      })
      .prefault({})
      .meta({ description: "Authentication of mutating API calls." }),
    max_request_body_size: z.coerce
      .number()
      .int()
      .positive()
      .default(1024 * 1024)
      .meta({ description: "Largest accepted request body, bytes; larger ones answer 413." }),
    resolve_timeout: duration("s").prefault(300).meta({
      description:
        "Time (seconds, or 5m…) after which an alert posted without endsAt, and not posted again, resolves (Alertmanager's resolve_timeout).",
    }),
  })
  .prefault({})
  .meta({ description: "The operating API's HTTP endpoint (secrets never appear in it)." });

export type StatusConfig = z.output<typeof statusConfigSchema>;
