// `service.status` in pipeline.yaml: where the operating API listens and how it is protected.
import { z } from "zod";
import { boolishOr } from "../delivery/config.ts";

export const MIN_TOKEN_LENGTH = 16;

export const statusConfigSchema = z
  .strictObject({
    /** Serve the operating API (/healthz, /status, the Alertmanager v2 API). */
    enabled: boolishOr(true),
    /** host:port (ALERTPIPE_STATUS_ENDPOINT); port 0 picks a free port. */
    endpoint: z
      .string()
      .regex(/^[^:\s]*:\d+$/, "expected host:port")
      .default("127.0.0.1:13133"),
    auth: z
      .strictObject({
        /** ALERTPIPE_STATUS_TOKEN: mutating calls need `Authorization: Bearer <token>`; empty = open. */
        token: z
          .string()
          .default("")
          .refine((t) => t === "" || t.length >= MIN_TOKEN_LENGTH, {
            message: `expected at least ${MIN_TOKEN_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`,
          }),
      })
      .prefault({}),
    /** Largest accepted request body, bytes (413 past it). */
    max_request_body_size: z.coerce
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    /** Seconds after which a posted alert without endsAt, not posted again, resolves (Alertmanager's resolve_timeout). */
    resolve_timeout: z.coerce.number().positive().default(300),
  })
  .prefault({});

export type StatusConfig = z.output<typeof statusConfigSchema>;
