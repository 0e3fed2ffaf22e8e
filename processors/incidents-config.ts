// The incidents processor's config (with defaults, as pipeline.yaml and its JSON Schema show it),
// its /status shape and the interface it offers (src/incident.ts: which incident an alert is in).
import { z } from "zod";
import type { Processor } from "../src/component.ts";
import { duration } from "../src/config/duration.ts";
import { boolish } from "../src/delivery/config.ts";
import type { IncidentDirectory } from "../src/incident.ts";
import { positiveInteger } from "./rules/schema.ts";

export const incidentsConfigSchema = z
  .strictObject({
    enabled: boolish.default(true).meta({
      description:
        "false passes every alert through as itself (ALERT_INCIDENTS_ENABLED in the shipped pipeline.yaml).",
    }),
    window: duration("s").prefault(120).meta({
      description:
        "Time after an open incident's latest firing during which a related alert joins it: seconds, or a duration like 2m (ALERT_INCIDENT_WINDOW).",
    }),
    tie_window: duration("s", { zero: true }).prefault(0).meta({
      description:
        'Alerts firing within this time (seconds, or 30s…) of an incident\'s first are "together": the most upstream of them is the cause, and the opening notice waits this long to name it. 0 = those of the same instant (one export, one check tick).',
    }),
    group_by: z.array(z.string().min(1)).default(["service.name", "host.name", "instance"]).meta({
      description:
        "Labels that identify a resource: alerts sharing a value of one are related, alerts with different values of one are not (instance: alerts posted by Prometheus).",
    }),
    host_label: z.string().min(1).default("host.name").meta({
      description: "The label naming an alert's host, for links that hold on the same host only.",
    }),
    topology: z
      .record(z.string().min(1), z.array(z.string().min(1)))
      .optional()
      .meta({
        description:
          'Component → its upstream components; "*" = related to all on the same host. Unset = the seed pipeline: fetcher → normalizer → validator → enricher → database, system: ["*"].',
      }),
    max_members: positiveInteger().default(50).meta({
      description: "Members listed in one notice; more are counted per rule and status.",
    }),
  })
  .meta({
    description:
      "Groups related alerts firing close together into one incident, sent as one message naming the likely cause first. Place it after the rules, before cooldown.",
  });
export type IncidentsConfig = z.output<typeof incidentsConfigSchema>;

export type IncidentsStatus = {
  enabled: boolean;
  /** Stored incidents still loading (alerts wait behind them). */
  restoring: boolean;
  open_incidents: number;
  incidents: { id: string; cause: string; alerts: number; firing: number; severity: string; since: string }[];
  opened: number;
  updates: number;
  resolved: number;
  alerts_grouped: number;
  restored: number;
};

export interface IncidentsProcessor extends Processor, IncidentDirectory {
  status(): IncidentsStatus;
  shutdown(): Promise<void>;
}
