// `alertpipe alerts`: the firing alerts, as the collector's Alertmanager API lists them.
import { matcherText, parseMatchers } from "../silences/matchers.ts";
import { parseClientArgs, shortTime, table } from "./api-client.ts";

interface Listed {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  status: { state: string; silencedBy: string[] };
}

/** "3fb7d8fa cause", "3fb7d8fa ← database_failures": the alert's incident, from its annotations. */
function incidentText(annotations: Record<string, string>): string {
  const id = annotations.incident_id;
  if (!id) return "";
  return annotations.incident_role === "cause"
    ? `${id.slice(0, 8)} cause`
    : `${id.slice(0, 8)} ← ${annotations.incident_cause}`;
}

export async function alertsCommand(argv: string[]): Promise<number> {
  const parsed = await parseClientArgs("alerts", argv, {
    silenced: { type: "boolean", short: "s" },
    all: { type: "boolean", short: "a" },
  });
  if ("code" in parsed) return parsed.code;
  const { values, positionals, client } = parsed;
  try {
    const query = new URLSearchParams();
    if (!values.all) {
      query.set("active", values.silenced ? "false" : "true");
      query.set("silenced", values.silenced ? "true" : "false");
      query.set("unprocessed", values.silenced ? "false" : "true");
    }
    for (const m of parseMatchers(positionals)) query.append("filter", matcherText(m));
    const alerts = await client.get<Listed[]>(`/api/v2/alerts?${query}`);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(alerts, null, 2)}\n`);
      return 0;
    }
    const rows = alerts.map((a) => {
      const { alertname = "", severity = "", ...labels } = a.labels;
      const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
      return [
        alertname,
        severity,
        shortTime(a.startsAt),
        a.status.state,
        incidentText(a.annotations),
        a.annotations.summary ?? "",
        pairs.join(" "),
      ];
    });
    process.stdout.write(
      `${table(["Alertname", "Severity", "Starts At", "State", "Incident", "Summary", "Labels"], rows)}\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`alertpipe alerts: ${(error as Error).message}\n`);
    return 1;
  }
}

/** The CLI's entry (src/cli-main.ts SUBCOMMANDS). */
export const main = alertsCommand;
