// The shape of pipeline.yaml around the components (json-schema.ts publishes it for editors).
import { z } from "zod";
import { statusConfigSchema } from "../api/config.ts";
import { boolishOr } from "../delivery/config.ts";
import { stateSpecSchema } from "../state/open.ts";

const componentIds = (what: string) => z.array(z.string().min(1)).meta({ description: what });
const componentSection = z
  .record(z.string(), z.unknown().nullable())
  .nullable()
  .transform((v) => v ?? {});

export const pipelineSchema = z
  .strictObject({
    receivers: componentIds("Receiver ids whose signals feed this pipeline, merged.").min(
      1,
      "a pipeline needs at least one receiver",
    ),
    processors: componentIds(
      "Processor ids in order (rules first, then cooldown, escalation, silence, throttle, scrub); each pipeline gets its own instances.",
    ).default([]),
    exporters: componentIds("Exporter ids; each gets every item of a kind it accepts.").min(
      1,
      "a pipeline needs at least one exporter",
    ),
  })
  .meta({
    description: "One stream: receivers merged, processors in the listed order, then every exporter.",
  });

export const serviceSchema = z
  .strictObject({
    pipelines: z
      .record(z.string(), pipelineSchema)
      .meta({ description: "Pipelines by name: the only place components are wired. At least one." }),
    state: stateSpecSchema.optional().meta({
      description:
        "State store for cooldowns, throttle windows, held alerts, escalations and pending deliveries: memory, sqlite:PATH or redis://host:port/db. ALERTPIPE_STATE wins; unset = sqlite:.alertpipe/state.db for `alertpipe run`, else memory.",
    }),
    status: statusConfigSchema,
    log: z
      .strictObject({
        level: z
          .enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"])
          .default("info")
          .meta({ description: "Least severe log level written (on stderr)." }),
        debug: boolishOr(false).meta({
          description: "Log every signal decision at debug level (ALERT_DEBUG_MODE); overrides level.",
        }),
        format: z.enum(["auto", "json", "pretty"]).default("auto").meta({
          description:
            "auto: readable lines when stderr is a terminal, JSON lines otherwise (files, pipes, log shippers); json or pretty always.",
        }),
      })
      .prefault({})
      .meta({ description: "Logging of the collector itself." }),
  })
  .meta({ description: "How the collector runs: its pipelines, state store, status endpoint and logging." });

export type ServiceConfig = z.output<typeof serviceSchema>;

export const topLevelSchema = z.strictObject({
  receivers: componentSection.default({}),
  processors: componentSection.default({}),
  exporters: componentSection.default({}),
  service: serviceSchema,
});
