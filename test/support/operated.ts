// `alertpipe run` on the shipped pipeline.yaml with Slack at a local fake and the API token set, for
// suites that operate it from outside (amtool, Prometheus, the alertpipe CLI clients).
import { healthExport } from "./api.ts";
import { type CliRun, cleanEnv, runCli, startCli } from "./cli.ts";
import { type FakeSlack, startFakeSlack } from "./fake-slack.ts";

export const OPERATOR_TOKEN = "e2e-operator-token-5f2a9c7d1b";

export interface Operated {
  readonly cli: CliRun;
  readonly slack: FakeSlack;
  /** http://host:port of the status endpoint. */
  readonly api: string;
  readonly otlp: string;
  /** Texts of the Slack messages delivered so far. */
  texts(): string[];
  /** POST one pipeline.health.score gauge per service over OTLP/JSON. */
  health(values: Record<string, number>): Promise<void>;
  /** Run an `alertpipe` client command against this collector. */
  client(args: string[], token?: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
  stop(): Promise<number | null>;
}

export async function startOperated(env: Record<string, string> = {}, slack?: FakeSlack): Promise<Operated> {
  const sink = slack ?? (await startFakeSlack());
  const cli = startCli(
    ["run", "pipeline.yaml"],
    cleanEnv({
      SLACK_WEBHOOK_URL: sink.webhookUrl(),
      ALERTPIPE_STATUS_TOKEN: OPERATOR_TOKEN,
      ALERT_CHECK_INTERVAL: "0.2",
      METRICS_COLLECTION_INTERVAL: "3600",
      ...env,
    }),
  );
  const [, endpoints] = await cli.waitFor(/"endpoints":(\{[^}]*\})/, 20_000);
  const parsed = JSON.parse(endpoints ?? "{}") as Record<string, string>;
  const api = `http://${parsed.status}`;
  const otlp = `http://${parsed.otlp}`;
  return {
    cli,
    slack: sink,
    api,
    otlp,
    texts: () => sink.delivered().map((b) => String(b.text)),
    async health(values) {
      const res = await fetch(`${otlp}/v1/metrics`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(healthExport(values, "e2e")),
      });
      if (res.status !== 200) throw new Error(`OTLP answered ${res.status}`);
    },
    client: (args, token = OPERATOR_TOKEN) =>
      runCli(
        args,
        cleanEnv({ ALERTPIPE_STATUS_ENDPOINT: parsed.status as string, ALERTPIPE_STATUS_TOKEN: token }),
      ),
    async stop() {
      const code = await cli.stop();
      if (!slack) await sink.close();
      return code;
    },
  };
}
