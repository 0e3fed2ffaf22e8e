// zod schemas of what clients post (api/v2/openapi.yaml's postableAlert and postableSilence).
import { z } from "zod";

export const dateTime = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: "expected an RFC 3339 date-time" });

const labelSet = z.record(z.string(), z.string({ error: "expected a string label value" }));

export const postableAlertsSchema = z
  .array(
    z.object({
      labels: labelSet,
      annotations: labelSet.optional(),
      startsAt: dateTime.optional(),
      endsAt: dateTime.optional(),
      generatorURL: z.string().optional(),
    }),
  )
  .max(10_000, "at most 10000 alerts per request");

export const postableSilenceSchema = z.object({
  id: z.string().optional(),
  matchers: z
    .array(
      z.object({
        name: z.string().min(1, "expected a non-empty label name"),
        value: z.string(),
        isRegex: z.boolean(),
        isEqual: z.boolean().default(true),
      }),
    )
    .min(1, "at least one matcher is required"),
  startsAt: dateTime,
  endsAt: dateTime,
  createdBy: z.string(),
  comment: z.string(),
});
