// The shipped pipeline.yaml, run by the real CLI with Slack and Sentry pointed at local fakes:
// an OTLP breach and an exception reach them; /status answers the guide's fields without secrets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, cleanEnv, startCli } from "./support/cli.ts";
import { type FakeSentry, SENTRY_KEY, startFakeSentry } from "./support/fake-sentry.ts";
import { type FakeSlack, SECRET_PATH, startFakeSlack } from "./support/fake-slack.ts";

const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });
const nowNs = () => String(Date.now() * 1e6);

function healthGauge(value: number) {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [attr("service.name", "roaster-scraper")] },
        scopeMetrics: [
          {
            scope: { name: "alertpipe.pipeline" },
            metrics: [
              {
                name: "pipeline.health.score",
                gauge: { dataPoints: [{ asDouble: value, timeUnixNano: nowNs() }] },
              },
            ],
          },
        ],
      },
    ],
  };
}

function failedLlmSpan() {
  return {
    resourceSpans: [
      {
        resource: { attributes: [attr("service.name", "roaster-scraper")] },
        scopeSpans: [
          {
            scope: { name: "enricher" },
            spans: [
              {
                traceId: "0af7651916cd43dd8448eb211c80319c",
                spanId: "b7ad6b7169203331",
                name: "llm_enrich",
                kind: 3,
                startTimeUnixNano: nowNs(),
                endTimeUnixNano: nowNs(),
                status: { code: 2, message: "rate limited" },
                attributes: [
                  attr("pipeline.component", "enricher"),
                  attr("pipeline.artifact.id", "artifact_123"),
                  attr("gen_ai.system", "deepseek"),
                  attr("gen_ai.request.model", "deepseek-chat"),
                ],
                events: [
                  {
                    name: "exception",
                    timeUnixNano: nowNs(),
                    attributes: [
                      attr("exception.type", "RateLimitError"),
                      attr("exception.message", "quota exceeded for ops@roaster.example"),
                      attr(
                        "exception.stacktrace",
                        "RateLimitError: quota exceeded\n    at enrich (enrich.js:10:5)",
                      ),
                    ],
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  };
}

describe("collector end to end with Slack and Sentry", () => {
  let slack: FakeSlack;
  let sentry: FakeSentry;
  let cli: CliRun;
  let otlp: string;
  let status: string;

  beforeAll(async () => {
    slack = await startFakeSlack();
    sentry = await startFakeSentry();
    cli = startCli(
      ["run", "pipeline.yaml"],
      cleanEnv({
        SLACK_WEBHOOK_URL: slack.webhookUrl(),
        SENTRY_DSN: sentry.dsn(),
        SENTRY_ENVIRONMENT: "staging",
        ALERT_CHECK_INTERVAL: "0.2",
        METRICS_COLLECTION_INTERVAL: "3600",
      }),
    );
    const [, endpoints] = await cli.waitFor(/"endpoints":(\{[^}]*\})/);
    const parsed = JSON.parse(endpoints ?? "{}") as Record<string, string>;
    otlp = `http://${parsed.otlp}`;
    status = `http://${parsed.status}`;
  });

  afterAll(async () => {
    expect(await cli.stop()).toBe(0);
    await slack.close();
    await sentry.close();
  });

  const post = (path: string, body: unknown) =>
    fetch(`${otlp}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("delivers a health breach to Slack once, with the rule, severity and values", async () => {
    expect((await post("/v1/metrics", healthGauge(12))).status).toBe(200);
    expect((await post("/v1/metrics", healthGauge(11))).status).toBe(200);
    await expect.poll(() => slack.delivered().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    const message = slack.delivered()[0] as { text: string; attachments: Array<{ color: string }> };
    expect(message.text).toMatch(/system_health/);
    expect(message.text).toMatch(/FIRING/);
    expect(message.attachments[0]?.color).toBeDefined();
    expect(JSON.stringify(message)).toMatch(/staging/);
    await new Promise((r) => setTimeout(r, 500));
    expect(slack.delivered()).toHaveLength(1); // the second breach is the same firing
  });

  it("sends a span exception to Sentry with tags, LLM context and trace, PII scrubbed", async () => {
    expect((await post("/v1/traces", failedLlmSpan())).status).toBe(200);
    await expect.poll(() => sentry.events().length, { timeout: 10_000 }).toBe(1);
    const event = sentry.events()[0] as {
      tags: Record<string, string>;
      contexts: Record<string, Record<string, unknown>>;
      exception: { values: Array<{ type: string; value: string }> };
      environment: string;
    };
    expect(event.tags).toMatchObject({
      component: "enricher",
      operation: "llm_enrich",
      artifact_id: "artifact_123",
    });
    expect(event.contexts.llm).toMatchObject({ provider: "deepseek", model: "deepseek-chat" });
    expect(event.contexts.trace).toMatchObject({ trace_id: "0af7651916cd43dd8448eb211c80319c" });
    expect(event.exception.values[0]?.type).toBe("RateLimitError");
    expect(event.exception.values[0]?.value).not.toContain("ops@roaster.example");
    expect(event.environment).toBe("staging");
  });

  it("serves /healthz and /status with the guide's fields and no secret", async () => {
    expect((await fetch(`${status}/healthz`)).status).toBe(200);
    const body = await (await fetch(`${status}/status`)).text();
    const doc = JSON.parse(body) as Record<string, Record<string, unknown>>;
    expect(doc.alert_throttle).toMatchObject({ active_alerts: expect.any(Number) });
    expect(doc.clients).toMatchObject({ slack_configured: true, sentry_configured: true });
    expect(doc).toMatchObject({ thresholds_configured: 8, active_cooldowns: 1 });
    // Cooldowns by hashed fingerprint: no label value on the unauthenticated endpoint.
    expect(doc.cooldowns?.cooldowns).toEqual([
      {
        fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
        rule: "system_health",
        until: expect.any(String),
      },
    ]);
    expect(body).not.toMatch(/system_health\{/);
    expect(body).not.toContain(SECRET_PATH.split("/").at(-1));
    expect(body).not.toContain(SENTRY_KEY);
    expect(cli.stdout() + cli.stderr()).not.toContain(SENTRY_KEY);
    expect(cli.stdout() + cli.stderr()).not.toContain(SECRET_PATH.split("/").at(-1));
  });
});

describe("collector with Slack but no Sentry", () => {
  it("prints exceptions on the console instead of dropping them", async () => {
    const slack = await startFakeSlack();
    const cli = startCli(["run", "pipeline.yaml"], cleanEnv({ SLACK_WEBHOOK_URL: slack.webhookUrl() }));
    try {
      await cli.waitFor(/printing exceptions to the console/);
      const [, otlp] = await cli.waitFor(/"otlp":"(127\.0\.0\.1:\d+)"/);
      const response = await fetch(`http://${otlp}/v1/traces`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(failedLlmSpan()),
      });
      expect(response.status).toBe(200);
      const [line] = await cli.waitFor(/^.*EXCEPTION.*$/m, 10_000, "stdout");
      expect(line).toMatch(/\[enricher\/llm_enrich\] RateLimitError: quota exceeded/);
      expect(line).not.toContain("ops@roaster.example"); // scrubbed before it leaves, console included
      expect(line).toContain("artifact=artifact_123");
    } finally {
      expect(await cli.stop()).toBe(0);
      await slack.close();
    }
  });
});
