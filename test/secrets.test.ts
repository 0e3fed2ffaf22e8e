// Secrets never printed in any encoding: raw, URL-encoded, the webhook path or its last segment, a
// DSN key wherever it sits (config errors: test/config.test.ts).
import { VirtualTimeScheduler } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { type SlackExporter, slackExporterFactory } from "../exporters/slack.ts";
import { looksSecretName, redactDeep, redactSecrets, registerSecret, stripSecrets } from "../src/secrets.ts";
import { captureLogger } from "./support/capture-logger.ts";
import { testContext } from "./support/context.ts";
import { type FakeSlack, SECRET_PATH, startFakeSlack } from "./support/fake-slack.ts";
import { alert } from "./support/notice-fixtures.ts";
import { driveVirtualTime } from "./support/virtual-time.ts";

const WEBHOOK = "https://hooks.slack.com/services/T0LEAK001/B0LEAK002/LeakyToken0123456789abcd";
const TOKEN = "LeakyToken0123456789abcd";
const DSN = "https://5f3e2a1b9c8d7e6f0a1b2c3d4e5f6a7b@o77.ingest.sentry.io/4501";
const DSN_KEY = "5f3e2a1b9c8d7e6f0a1b2c3d4e5f6a7b";

/** Every form a server, a client or a log might echo a webhook URL in. */
const echoes = (url: string): string[] => {
  const path = new URL(url).pathname;
  const last = path.split("/").at(-1) ?? "";
  return [
    `POST ${url} failed`,
    `no_service: ${encodeURIComponent(url)}`,
    `forbidden path ${path}`,
    `action_prohibited: ${encodeURIComponent(path)}`,
    `action_prohibited: ${encodeURIComponent(path).toLowerCase().replace(/%2f/g, "%2f")}`,
    `bad token ${last}`,
    `{"path":"${encodeURIComponent(encodeURIComponent(path))}"}`,
  ];
};

describe("secret redaction in every encoding", () => {
  it.each(echoes(WEBHOOK))("strips the webhook from %j", (text) => {
    const out = stripSecrets(text, [WEBHOOK]);
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(encodeURIComponent(TOKEN));
  });

  it("masks registered secrets in every form, and Slack paths by pattern even when unregistered", () => {
    registerSecret(WEBHOOK);
    registerSecret(DSN);
    for (const text of echoes(WEBHOOK)) expect(redactSecrets(text)).not.toContain(TOKEN);
    const other = "/services/T0OTHER01/B0OTHER02/OtherToken0123456789abcd";
    expect(redactSecrets(`403 for ${encodeURIComponent(other)}`)).toBe("403 for %2Fservices%2F***");
    expect(redactSecrets(`403 for ${other}`)).toBe("403 for /services/***");
    // The DSN key in any position: userinfo, X-Sentry-Auth, a query, alone, encoded.
    for (const text of [
      DSN,
      `X-Sentry-Auth: Sentry sentry_version=7, sentry_key=${DSN_KEY}`,
      `/api/4501/envelope/?sentry_key=${DSN_KEY}&sentry_version=7`,
      `invalid key ${DSN_KEY}`,
      encodeURIComponent(DSN),
    ])
      expect(redactSecrets(text)).not.toContain(DSN_KEY);
    // The project id and the host stay: they tell the reader which project it was.
    expect(redactSecrets(`project 4501 at o77.ingest.sentry.io`)).toBe(
      "project 4501 at o77.ingest.sentry.io",
    );
  });

  it("redacts deep values with cycles and __proto__ keys without recursing forever or polluting", () => {
    registerSecret(WEBHOOK);
    const doc: Record<string, unknown> = JSON.parse(`{"__proto__": {"hook": "${WEBHOOK}"}}`);
    doc.self = doc;
    const out = redactDeep(doc);
    expect(JSON.stringify(out)).toBe(
      '{"__proto__":{"hook":"https://hooks.slack.com/***"},"self":"[circular]"}',
    );
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it("does not mask short path pieces that are not secrets", () => {
    expect(stripSecrets("GET /0 and /v1/metrics", ["redis://cache:6379/0"])).toBe("GET /0 and /v1/metrics");
  });

  it("knows secret-looking variable names", () => {
    for (const name of [
      "SLACK_WEBHOOK_URL",
      "SENTRY_DSN",
      "DB_PASSWORD",
      "GITHUB_TOKEN",
      "AWS_SECRET_ACCESS_KEY",
      "SLACKTOKEN",
    ])
      expect(looksSecretName(name)).toBe(true);
    for (const name of [
      "ALERT_MAX_PER_WINDOW",
      "ALERT_THROTTLE_WINDOW",
      "ALERT_MAX_TOKENS",
      "SENTRY_ENVIRONMENT",
    ])
      expect(looksSecretName(name)).toBe(false);
  });
});

describe("a Slack 403 echoing the webhook path", () => {
  let slack: FakeSlack | undefined;
  afterEach(async () => {
    await slack?.close();
  });

  it("keeps the token out of last_failures, the logs and the probe (test-alert) answer", async () => {
    const scheduler = new VirtualTimeScheduler();
    slack = await startFakeSlack(() => scheduler.now());
    const token = SECRET_PATH.split("/").at(-1) ?? "";
    const bodies = [
      `invalid_token for ${encodeURIComponent(SECRET_PATH)}`,
      `invalid_token ${token}`,
      `invalid_token ${encodeURIComponent(SECRET_PATH).toLowerCase()}`,
    ];
    slack.behave(({ index }) => ({ status: 403, body: bodies[index % bodies.length] ?? "" }));
    const log = captureLogger();
    const exporter = (await slackExporterFactory.create(
      slackExporterFactory.configSchema.parse({ webhook_url: slack.webhookUrl(), log_attempts: true }),
      testContext({ id: "slack", scheduler, logger: log.logger }),
    )) as SlackExporter;
    await exporter.export([alert({ rule: "a" }), alert({ rule: "b" })]);
    await driveVirtualTime(scheduler, {
      busy: () => exporter.queue.inFlight > 0,
      done: () => exporter.queue.pending === 0,
    });
    const [probe] = await exporter.probe();
    const status = JSON.stringify(exporter.status?.());
    expect(exporter.queue.status().failed).toBe(2);
    expect(status).toContain("invalid_token");
    expect(probe?.reason).toContain("invalid_token");
    for (const text of [status, log.lines.join("\n"), String(probe?.reason)]) {
      expect(text).not.toContain(token);
      expect(text.toLowerCase()).not.toContain(token.toLowerCase());
    }
    await exporter.shutdown();
  });
});
