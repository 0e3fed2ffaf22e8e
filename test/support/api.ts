// An in-process pipeline with its operating API on a free loopback port and Slack pointed at a
// local fake: the health rule, cooldown, escalation, silence and throttle as shipped.
import { pino } from "pino";
import type { OtlpReceiver } from "../../src/receivers/otlp/receiver.ts";
import type { AlertPipelineHandle } from "../../src/service.ts";
import { startAlertPipeline } from "../../src/service.ts";
import type { StateStore } from "../../src/state/store.ts";
import { type FakeSlack, startFakeSlack } from "./fake-slack.ts";
import { gauge } from "./virtual-clock.ts";

export const TOKEN = "test-token-0123456789abcdef";

export interface ApiOptions {
  readonly token?: string;
  /** Extra keys under service.status (YAML, indented 4 spaces). */
  readonly status?: string;
  /** Extra keys of the slack exporter (YAML flow mapping entries, e.g. "max_retry_time: 1"). */
  readonly slack?: string;
  /** The throttle's max_per_window (default 100). */
  readonly maxPerWindow?: number;
  readonly state?: StateStore;
  /** The incidents processor after the rule (before cooldown), as in the shipped pipeline. */
  readonly incidents?: boolean;
}

export interface ApiHarness {
  readonly handle: AlertPipelineHandle;
  readonly slack: FakeSlack;
  readonly url: string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  /** A mutating call with the bearer token. */
  send(method: string, path: string, body?: unknown): Promise<Response>;
  json<T = unknown>(path: string): Promise<T>;
  /** Feed the health rule one point for a service. */
  health(service: string, value: number): void;
  /** Texts of the Slack messages delivered so far. */
  texts(): string[];
  close(): Promise<void>;
}

export function pipelineYaml(slackUrl: string, options: ApiOptions = {}): string {
  return `receivers:
  otlp: { endpoint: "127.0.0.1:0" }
processors:
  threshold/system_health:
    metric: pipeline.health.score
    aggregation: last
    group_by: [service.name]
    op: below
    threshold: 30
    severity: critical
    component: system
    check_interval: 0.1
  incidents: {}
  cooldown: { default: 5 }
  escalation: { delay: 15 }
  silence: {}
  throttle: { window: 300, max_per_window: ${options.maxPerWindow ?? 100} }
  scrub: {}
exporters:
  slack: { webhook_url: "${slackUrl}", rate_per_second: 100, burst: 100${options.slack ? `, ${options.slack}` : ""} }
service:
  status:
    endpoint: "127.0.0.1:0"
    auth: { token: "${options.token ?? ""}" }
${options.status ?? ""}
  pipelines:
    alerts:
      receivers: [otlp]
      processors: [threshold/system_health, ${options.incidents ? "incidents, " : ""}cooldown, escalation, silence, throttle, scrub]
      exporters: [slack]
`;
}

export async function startApi(options: ApiOptions = {}): Promise<ApiHarness> {
  const slack = await startFakeSlack();
  const handle = await startAlertPipeline({
    configText: pipelineYaml(slack.webhookUrl(), options),
    env: {},
    logger: pino({ level: "silent" }),
    ...(options.state ? { state: options.state } : {}),
  });
  const address = handle.statusAddress();
  if (!address) throw new Error("no status address");
  const url = `http://127.0.0.1:${address.port}`;
  const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  return {
    handle,
    slack,
    url,
    request,
    send: (method, path, body) =>
      request(method, path, body, { authorization: `Bearer ${options.token ?? ""}` }),
    json: async <T>(path: string) => (await (await request("GET", path)).json()) as T,
    health(service, value) {
      handle.submit({
        ...gauge("pipeline.health.score", value, {}, { "service.name": service }),
        time: Date.now(),
      });
    },
    texts: () => slack.delivered().map((b) => String(b.text)),
    async close() {
      await handle.shutdown();
      await slack.close();
    },
  };
}

/** An OTLP/JSON export of one pipeline.health.score gauge per service (the `service.name` resource). */
export function healthExport(values: Record<string, number>, scope = "test"): unknown {
  const timeUnixNano = String(Date.now() * 1e6);
  return {
    resourceMetrics: Object.entries(values).map(([service, value]) => ({
      resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
      scopeMetrics: [
        {
          scope: { name: scope },
          metrics: [
            { name: "pipeline.health.score", gauge: { dataPoints: [{ asDouble: value, timeUnixNano }] } },
          ],
        },
      ],
    })),
  };
}

/** POST health scores to the harness's own OTLP receiver (what a scraper does). */
export async function postHealth(harness: ApiHarness, values: Record<string, number>): Promise<void> {
  const receiver = harness.handle.graph.receivers.find((r) => r.id === "otlp")?.instance as OtlpReceiver;
  const res = await fetch(`http://127.0.0.1:${receiver.address().port}/v1/metrics`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(healthExport(values)),
  });
  if (res.status !== 200) throw new Error(`OTLP answered ${res.status}`);
}

/** A silence posted as amtool posts one. */
export function silenceBody(matchers: Record<string, string>, minutes = 60, comment = "db maintenance") {
  const now = Date.now();
  return {
    matchers: Object.entries(matchers).map(([name, value]) => ({
      name,
      value,
      isRegex: false,
      isEqual: true,
    })),
    startsAt: new Date(now).toISOString(),
    endsAt: new Date(now + minutes * 60_000).toISOString(),
    createdBy: "ops",
    comment,
  };
}
