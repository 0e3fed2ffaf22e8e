// scrub processor: removes PII and secrets from every string of alerts, digests and error events
// before any exporter sees them; metric points and spans pass through untouched.
import { map } from "rxjs";
import { z } from "zod";
import { defineFactory, type Processor } from "../src/component.ts";
import { boolish } from "../src/delivery/config.ts";
import type { ScrubPattern } from "../src/scrub/patterns.ts";
import { createScrubber } from "../src/scrub/scrub.ts";

export const scrubConfigSchema = z
  .strictObject({
    enabled: boolish.default(true).meta({
      description: "false sends text unscrubbed: for debugging only; nothing leaves unscrubbed by default.",
    }),
    extra_patterns: z
      .array(
        z.strictObject({
          regex: z.string().min(1).meta({
            description: "JavaScript regular expression, applied globally to every string sent out.",
          }),
          replacement: z
            .string()
            .default("[redacted]")
            .meta({ description: "Text that replaces each match." }),
        }),
      )
      .default([])
      .meta({ description: "Your own patterns, scrubbed after the built-in ones." }),
  })
  .meta({
    description:
      "Removes emails, phone numbers, API keys and tokens, card numbers and webhook URLs from every alert, digest and error event before any exporter sees it.",
  });

export const scrubProcessorFactory = defineFactory({
  kind: "processor",
  type: "scrub",
  configSchema: scrubConfigSchema,
  validate(config) {
    const problems: Array<{ path: (string | number)[]; message: string }> = [];
    config.extra_patterns.forEach((p, i) => {
      try {
        new RegExp(p.regex, "g");
      } catch (error) {
        problems.push({
          path: ["extra_patterns", i, "regex"],
          message: `not a valid regular expression: ${(error as Error).message}`,
        });
      }
    });
    return problems;
  },
  create(config): Processor {
    const extra: ScrubPattern[] = config.extra_patterns.map((p, i) => ({
      name: `extra_${i}`,
      regex: new RegExp(p.regex, "g"),
      replace: p.replacement,
    }));
    const scrubber = createScrubber(extra);
    let scrubbed = 0;
    return {
      operator: map((item) => {
        if (!config.enabled || (item.kind !== "alert" && item.kind !== "digest" && item.kind !== "error"))
          return item;
        scrubbed++;
        return scrubber.item(item);
      }),
      status: () => ({ enabled: config.enabled, scrubbed }),
    };
  },
});
