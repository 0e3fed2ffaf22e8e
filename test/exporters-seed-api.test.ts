// The guide's API (ComprehensiveAlertService, SentryIntegration) feeding a real chain:
// cooldown → throttle → scrub → Slack / Sentry exporters, against local Slack and Sentry.
import { Subject, VirtualTimeScheduler } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { createSentryExporter, sentryExporterFactory } from "../exporters/sentry.ts";
import { createSlackExporter, slackExporterFactory } from "../exporters/slack.ts";
import { cooldownFactory } from "../processors/cooldown.ts";
import { scrubProcessorFactory } from "../processors/scrub.ts";
import { throttleFactory } from "../processors/throttle.ts";
import { ComprehensiveAlertService } from "../src/alert-service.ts";
import type { Exporter, Processor } from "../src/component.ts";
import { testDelivery } from "../src/delivery/probe.ts";
import { SentryIntegration } from "../src/sentry-integration.ts";
import type { Item } from "../src/signal.ts";
import { testContext } from "./support/context.ts";
import { startFakeSentry } from "./support/fake-sentry.ts";
import { startFakeSlack } from "./support/fake-slack.ts";
import { blockText } from "./support/slack-limits.ts";
import { driveVirtualTime } from "./support/virtual-time.ts";

type Obj = Record<string, unknown>;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function chain(throttleConfig: Obj = {}) {
  const scheduler = new VirtualTimeScheduler();
  const ctx = testContext({ scheduler });
  const slackServer = await startFakeSlack(() => scheduler.now());
  const sentryServer = await startFakeSentry(() => scheduler.now());
  const slack = createSlackExporter(
    slackExporterFactory.configSchema.parse({
      webhook_url: slackServer.webhookUrl(),
      environment: "prod",
      burst: 10,
    }),
    { ...ctx, id: "slack" },
  );
  const sentry = createSentryExporter(
    sentryExporterFactory.configSchema.parse({ dsn: sentryServer.dsn(), environment: "prod" }),
    { ...ctx, id: "sentry" },
  );
  const cooldown = (await cooldownFactory.create(cooldownFactory.configSchema.parse({}), ctx)) as Processor;
  const throttle = (await throttleFactory.create(
    throttleFactory.configSchema.parse({ window: 300, max_per_window: 10, ...throttleConfig }),
    ctx,
  )) as Processor;
  const scrub = await scrubProcessorFactory.create(scrubProcessorFactory.configSchema.parse({}), ctx);
  const source = new Subject<Item>();
  const exporters: Array<{ id: string; instance: Exporter }> = [
    { id: "slack", instance: slack },
    { id: "sentry", instance: sentry },
  ];
  const sub = source.pipe(cooldown.operator, throttle.operator, scrub.operator).subscribe((item) => {
    for (const { instance } of exporters) if (instance.accepts.has(item.kind)) void instance.export([item]);
  });
  const submit = (item: Item) => source.next(item);
  const service = new ComprehensiveAlertService({ submit, scheduler, throttle, cooldown, exporters });
  const integration = new SentryIntegration({ submit, scheduler });
  cleanups.push(async () => {
    sub.unsubscribe();
    await slackServer.close();
    await sentryServer.close();
  });
  return { scheduler, slackServer, sentryServer, slack, sentry, service, integration, exporters };
}

describe("ComprehensiveAlertService through the pipeline", () => {
  it("sends a system failure alert once; cooldown holds the repeat; status reports it", async () => {
    const c = await chain();
    const input = {
      component: "database",
      failureType: "connection_timeout",
      errorMessage: "Database connection failed after 30s timeout",
      systemState: { cpu_usage: 95.0, memory_usage: 90.0 },
    };
    const alert = await c.service.sendSystemFailureAlert(input);
    await c.service.sendSystemFailureAlert(input);
    await driveVirtualTime(c.scheduler, {
      busy: () => c.slack.queue.inFlight > 0,
      done: () => c.slack.queue.status().delivered === 1,
    });
    expect(alert).toMatchObject({ rule: "system_failure", severity: "critical", component: "database" });
    expect(c.slackServer.requests).toHaveLength(1);
    const body = c.slackServer.requests[0]?.body as Obj;
    expect(String(body.text)).toContain("[FIRING] system_failure (critical) — database");
    expect(blockText(body)).toContain("`cpu_usage`: 95");
    const status = c.service.getAlertStatus();
    expect(status.alert_throttle.active_alerts).toBe(1);
    expect(status.cooldowns.active_cooldowns).toBe(1);
    expect(status.clients).toEqual({ slack_configured: true, sentry_configured: true });
    expect(status.delivery.slack).toMatchObject({ delivered: 1, failed: 0 });
    expect(status.alerts_submitted).toBe(2);
  });

  it("sends review-rate spikes through the throttle: over the limit they are held, then digested", async () => {
    const c = await chain({ max_per_window: 2 });
    for (const roaster of ["r1", "r2", "r3", "r4", "r5"])
      await c.service.sendReviewRateSpikeAlert({
        roasterId: roaster,
        platform: "shopify",
        currentRate: 75,
        baselineRate: 50,
        increasePercent: 50,
      });
    await driveVirtualTime(c.scheduler, {
      busy: () => c.slack.queue.inFlight > 0,
      done: () => c.slack.queue.status().delivered === 2,
    });
    expect(c.service.getAlertStatus().alert_throttle.held).toBe(3);
    await driveVirtualTime(c.scheduler, {
      busy: () => c.slack.queue.inFlight > 0,
      done: () => c.slack.queue.status().delivered === 3,
    });
    const [first, , digest] = c.slackServer.requests.map((r) => r.body as Obj);
    expect(String(first?.text)).toContain("value 75 % vs baseline 50 % (+50 %, threshold &gt; +50 %)");
    expect(String(digest?.text)).toContain("Alert digest: 3 alerts held");
    for (const r of ["r3", "r4", "r5"]) expect(blockText(digest as Obj)).toContain(`roaster.id=${r}`);
    expect(c.service.getAlertStatus().alert_throttle).toMatchObject({ held: 0, digested: 3 });
  });
});

describe("SentryIntegration", () => {
  it("captures pipeline and LLM errors into the pipeline: scrubbed, tagged, with contexts", async () => {
    const c = await chain();
    await c.integration.capturePipelineError({
      error: new TypeError("price missing for ops@example.com"),
      component: "normalizer",
      operation: "parse_artifact",
      artifactId: "artifact_123",
      pipelineState: { step: "validation", status: "failed" },
      userInfo: { user_id: "admin", email: "admin@example.com" },
    });
    await c.integration.captureLlmError({
      error: new Error("rate limited"),
      artifactId: "artifact_123",
      llmProvider: "deepseek",
      model: "deepseek-chat",
      promptTokens: 100,
      completionTokens: 50,
      cost: 0.001,
    });
    await driveVirtualTime(c.scheduler, {
      busy: () => c.sentry.queue.inFlight > 0,
      done: () => c.sentry.queue.status().delivered === 2,
    });
    const [pipelineEvent, llmEvent] = c.sentryServer.events();
    expect(pipelineEvent?.tags).toEqual({
      component: "normalizer",
      operation: "parse_artifact",
      artifact_id: "artifact_123",
    });
    expect(((pipelineEvent as Obj).exception as { values: Obj[] }).values[0]).toMatchObject({
      type: "TypeError",
      value: "price missing for [email]",
    });
    expect(((pipelineEvent as Obj).contexts as Obj).pipeline_state).toEqual({
      step: "validation",
      status: "failed",
    });
    expect(pipelineEvent?.user).toEqual({ user_id: "admin", email: "[email]" });
    expect(pipelineEvent?.environment).toBe("prod");
    expect(((llmEvent as Obj).contexts as Obj).llm).toEqual({
      provider: "deepseek",
      model: "deepseek-chat",
      prompt_tokens: 100,
      completion_tokens: 50,
      cost: 0.001,
    });
    expect(llmEvent?.tags).toMatchObject({
      component: "llm_enricher",
      operation: "llm_call",
      artifact_id: "artifact_123",
    });
    expect(c.slackServer.requests).toHaveLength(0);
  });

  it("works standalone with a DSN (own exporter, scrubbed) and reports not configured without one", async () => {
    const server = await startFakeSentry();
    cleanups.push(() => server.close());
    const integration = new SentryIntegration({ dsn: server.dsn(), environment: "development" });
    await integration.capturePipelineError({
      error: new Error("call +1 415 555 2671"),
      component: "fetcher",
    });
    await integration.close();
    const [event] = server.events();
    expect(((event as Obj).exception as { values: Obj[] }).values[0]?.value).toBe("call [phone]");
    expect(event?.environment).toBe("development");
    expect(new SentryIntegration({}).configured).toBe(false);
  });

  it("testDelivery probes every configured exporter and names it", async () => {
    const c = await chain();
    const results = await testDelivery([
      ...c.exporters,
      {
        id: "slack/unset",
        instance: await slackExporterFactory.create(
          slackExporterFactory.configSchema.parse({}),
          testContext(),
        ),
      },
    ]);
    expect(results.map((r) => [r.exporter, r.ok, r.status])).toEqual([
      ["slack", true, 200],
      ["sentry", true, 200],
    ]);
    for (const r of results) expect(r.destination).toMatch(/\*\*\*/);
  });
});
