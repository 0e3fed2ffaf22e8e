// The users' guide's API, in TypeScript, on a running pipeline: what it sends goes through the same
// cooldown and throttle as the rules' alerts, and reaches Slack and Sentry.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AlertPipelineHandle, startAlertPipeline } from "../src/index.ts";
import { createLogger } from "../src/log.ts";
import { type FakeSentry, startFakeSentry } from "./support/fake-sentry.ts";
import { type FakeSlack, startFakeSlack } from "./support/fake-slack.ts";

const config = `receivers:
  otlp:
    endpoint: 127.0.0.1:0
processors:
  threshold/system_health:
    metric: pipeline.health.score
    op: below
    threshold: 30
    severity: critical
    component: system
  cooldown:
    default: 5
  throttle:
    window: 300
    max_per_window: 2
  scrub: {}
exporters:
  slack:
    webhook_url: \${env:SLACK_WEBHOOK_URL}
  sentry:
    dsn: \${env:SENTRY_DSN}
    environment: production
service:
  pipelines:
    alerts:
      receivers: [otlp]
      processors: [threshold/system_health, cooldown, throttle, scrub]
      exporters: [slack, sentry]
`;

describe("seed API on a running pipeline", () => {
  let slack: FakeSlack;
  let sentry: FakeSentry;
  let handle: AlertPipelineHandle;

  beforeAll(async () => {
    slack = await startFakeSlack();
    sentry = await startFakeSentry();
    handle = await startAlertPipeline({
      configText: config,
      env: {},
      // as the guide constructs its service: ComprehensiveAlertService(slack_webhook_url=…, sentry_dsn=…)
      slackWebhookUrl: slack.webhookUrl(),
      sentryDsn: sentry.dsn(),
      logger: createLogger({ level: "silent" }),
      statusServer: false,
    });
  });

  afterAll(async () => {
    await handle.shutdown();
    await slack.close();
    await sentry.close();
  });

  it("sendSystemFailureAlert and sendReviewRateSpikeAlert pass cooldown and throttle", async () => {
    const failure = {
      component: "database",
      failureType: "connection_timeout",
      errorMessage: "Database connection failed after 30s timeout",
      systemState: { cpu_usage: 95.0, memory_usage: 90.0 },
    };
    await handle.alerts.sendSystemFailureAlert(failure);
    await handle.alerts.sendSystemFailureAlert(failure); // same fingerprint, inside its cooldown
    await handle.alerts.sendReviewRateSpikeAlert({
      roasterId: "test_roaster",
      platform: "shopify",
      currentRate: 75.0,
      baselineRate: 50.0,
      increasePercent: 50.0,
    });
    await handle.alerts.sendReviewRateSpikeAlert({
      roasterId: "other_roaster",
      platform: "shopify",
      currentRate: 80.0,
      baselineRate: 40.0,
      increasePercent: 100.0,
    }); // third message in the window: held for a digest by max_per_window 2

    await expect.poll(() => slack.delivered().length, { timeout: 10_000 }).toBe(2);
    const texts = slack.delivered().map((m) => String(m.text));
    expect(texts[0]).toMatch(/system_failure/);
    expect(texts[1]).toMatch(/review_rate_spike/);
    expect(texts[1]).toMatch(/test_roaster/);

    const status = handle.alerts.getAlertStatus();
    expect(status.clients).toEqual({ slack_configured: true, sentry_configured: true });
    expect(status.alert_throttle.held).toBe(1);
    expect(status.cooldowns.active_cooldowns).toBe(3);
  });

  it("getMonitoringStatus and checkAllThresholds reflect the configured rules", async () => {
    const monitoring = handle.monitoring.getMonitoringStatus();
    expect(monitoring.thresholds_configured).toBe(1);
    expect(monitoring.active_cooldowns).toBe(3);
    expect(await handle.monitoring.checkAllThresholds()).toEqual([]);
  });

  it("capturePipelineError and captureLlmError reach Sentry with tags and contexts, PII scrubbed", async () => {
    await handle.sentry.capturePipelineError({
      error: new TypeError("cannot parse price for jane.doe@example.com"),
      component: "normalizer",
      operation: "parse_artifact",
      artifactId: "artifact_123",
      pipelineState: { step: "validation", status: "failed" },
      userInfo: { user_id: "admin" },
    });
    await handle.sentry.captureLlmError({
      error: new Error("LLM timeout"),
      artifactId: "artifact_123",
      llmProvider: "deepseek",
      model: "deepseek-chat",
      promptTokens: 100,
      completionTokens: 50,
      cost: 0.001,
    });
    await expect.poll(() => sentry.events().length, { timeout: 10_000 }).toBe(2);
    const [pipelineError, llmError] = sentry.events() as Array<{
      tags: Record<string, string>;
      contexts: Record<string, Record<string, unknown>>;
      exception: { values: Array<{ type: string; value: string }> };
    }>;
    expect(pipelineError?.tags).toMatchObject({
      component: "normalizer",
      operation: "parse_artifact",
      artifact_id: "artifact_123",
    });
    expect(pipelineError?.contexts.pipeline_state).toMatchObject({ step: "validation", status: "failed" });
    expect(pipelineError?.exception.values[0]?.type).toBe("TypeError");
    expect(pipelineError?.exception.values[0]?.value).not.toContain("jane.doe@example.com");
    expect(llmError?.contexts.llm).toMatchObject({
      provider: "deepseek",
      model: "deepseek-chat",
      prompt_tokens: 100,
      completion_tokens: 50,
      cost: 0.001,
    });
  });
});
