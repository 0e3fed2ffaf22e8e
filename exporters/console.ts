// Console exporter: one readable line per alert, digest or error, on stdout (or stderr).
import { z } from "zod";
import { defineFactory, type Exporter } from "../src/component.ts";
import { durationText, incidentSize, offsetText } from "../src/incident.ts";
import {
  type Alert,
  type Digest,
  digestCount,
  type ErrorEvent,
  type IncidentInfo,
  type Item,
} from "../src/signal.ts";
import { silenceDuration } from "../src/silences/silence.ts";
import { summaryExamples, summaryHead } from "./slack-format.ts";

const configSchema = z
  .strictObject({
    output: z
      .enum(["stdout", "stderr"])
      .default("stdout")
      .meta({ description: "Stream the lines are printed to." }),
    json: z.boolean().default(false).meta({
      description: "Print each item as one JSON object per line (for machines) instead of readable text.",
    }),
  })
  .meta({
    description:
      "Prints each alert, digest and error event as one line. Also the fallback while no Slack or Sentry destination is configured.",
  });

export const consoleExporterFactory = defineFactory({
  kind: "exporter",
  type: "console",
  configSchema,
  create(config, context): Exporter {
    const stream = config.output === "stderr" ? process.stderr : process.stdout;
    let printed = 0;
    return {
      configured: true,
      accepts: new Set(["alert", "digest", "error"]),
      async export(batch) {
        for (const item of batch) {
          const line = config.json ? JSON.stringify(item) : formatItem(item);
          if (line === undefined) continue;
          stream.write(`${line}\n`);
          printed++;
          if (item.kind === "alert" || item.kind === "digest" || item.kind === "error") {
            const at = context.scheduler.now();
            context.notices?.record({
              outcome: "sent",
              item,
              component: context.id,
              at,
              destination: config.output,
            });
          }
        }
      },
      async shutdown() {},
      status: () => ({ printed }),
    };
  },
});

export function formatItem(item: Item): string | undefined {
  switch (item.kind) {
    case "alert":
      return formatAlert(item);
    case "digest":
      return formatDigest(item);
    case "error":
      return formatError(item);
    default:
      return undefined;
  }
}

export function formatAlert(a: Alert): string {
  if (a.incident && incidentSize(a.incident) > 1) return formatIncident(a, a.incident);
  return `${new Date(a.at).toISOString()} ${alertBody(a)}`;
}

function alertBody(a: Alert): string {
  const status = a.status.toUpperCase();
  const level = a.escalationLevel ? ` level ${a.escalationLevel}` : "";
  const values = describeValues(a);
  // Rules usually name their labels in the summary already; print them only when they do not.
  const named = Object.entries(a.labels).every(([k, v]) => a.summary.includes(`${k}=${v}`));
  const labels = named ? "" : formatLabels(a.labels);
  return `${status}${level} ${a.severity} [${a.component}] ${a.rule}: ${a.summary}${values}${labels}`;
}

/** A head line (status, incident id, cause), then one line per member: offset, the alert, why. */
function formatIncident(a: Alert, info: IncidentInfo): string {
  const level = a.escalationLevel ? ` level ${a.escalationLevel}` : "";
  const size = incidentSize(info);
  const after = info.durationMs === undefined ? "" : `, resolved after ${durationText(info.durationMs)}`;
  const head = `${new Date(a.at).toISOString()} ${a.status.toUpperCase()}${level} ${a.severity} incident ${info.id}: ${info.cause} + ${size - 1} related${after}`;
  const members = info.members.map((m, i) => {
    const why = m.reason ?? (i === 0 ? "likely cause" : "");
    return `  ${offsetText(m.offsetMs)} ${alertBody(m.alert)}${why ? ` — ${why}` : ""}`;
  });
  const counted = (info.summarised ?? []).map((s) => `  ${summaryHead(s)}: ${summaryExamples(s)}`);
  return [head, ...members, ...counted].join("\n");
}

function describeValues(a: Alert): string {
  if (a.value === undefined) return "";
  const unit = a.unit ? ` ${a.unit}` : "";
  const parts = [`value=${round(a.value)}${unit}`];
  if (a.threshold !== undefined) parts.push(`threshold=${round(a.threshold)}${unit}`);
  if (a.baseline !== undefined) parts.push(`baseline=${round(a.baseline)}${unit}`);
  return ` (${parts.join(" ")})`;
}

function formatDigest(d: Digest): string {
  const s = d.silence;
  const what = s
    ? `${digestCount(d)} alert(s) muted while silenced (${s.comment}, ${s.createdBy}, ${silenceDuration(s.endsAt - s.startsAt)})`
    : `${digestCount(d)} held alert(s) for ${d.route}`;
  const head = `${new Date(d.at).toISOString()} DIGEST ${what}`;
  const counted = (d.summarised ?? []).map((summary) => {
    const examples = summaryExamples(summary);
    return `  - ${summaryHead(summary)}${examples ? `: ${examples}` : ""}`;
  });
  return [head, ...d.alerts.map((a) => `  - ${formatAlert(a)}`), ...counted].join("\n");
}

function formatError(e: ErrorEvent): string {
  const op = e.operation ? `/${e.operation}` : "";
  const artifact = e.artifactId ? ` artifact=${e.artifactId}` : "";
  const trace = e.traceId ? ` trace=${e.traceId}` : "";
  return `${new Date(e.time).toISOString()} EXCEPTION [${e.component}${op}] ${e.error.type}: ${e.error.message}${artifact}${trace}`;
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels);
  return entries.length === 0 ? "" : ` {${entries.map(([k, v]) => `${k}=${v}`).join(", ")}}`;
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(Math.abs(n) < 1 ? 3 : 2);
}
