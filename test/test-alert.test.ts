// `alertpipe test-alert`: one message per configured destination, and a per-destination verdict.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, runCli } from "./support/cli.ts";
import { type FakeSentry, SENTRY_KEY, startFakeSentry } from "./support/fake-sentry.ts";
import { type FakeSlack, replies, SECRET_PATH, startFakeSlack } from "./support/fake-slack.ts";

describe("alertpipe test-alert", () => {
  let slack: FakeSlack;
  let sentry: FakeSentry;
  beforeAll(async () => {
    slack = await startFakeSlack();
    sentry = await startFakeSentry();
  });
  afterAll(async () => {
    await slack.close();
    await sentry.close();
  });
  const secretToken = SECRET_PATH.split("/").at(-1) ?? "";

  it("reports ok for working destinations and sends one info message to each", async () => {
    const env = cleanEnv({ SLACK_WEBHOOK_URL: slack.webhookUrl(), SENTRY_DSN: sentry.dsn() });
    const { code, stdout, stderr } = await runCli(["test-alert", "pipeline.yaml"], env);
    expect(stderr).not.toContain(secretToken);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^slack → .*: ok/m);
    expect(stdout).toMatch(/^sentry → .*: ok/m);
    expect(stdout).not.toContain(secretToken);
    expect(stdout).not.toContain(SENTRY_KEY);
    expect(slack.delivered()).toHaveLength(1);
    expect(JSON.stringify(slack.delivered()[0])).toMatch(/test/i);
    expect(sentry.requests.length).toBeGreaterThanOrEqual(1);
  });

  it("names the reason when Slack refuses, and exits 1", async () => {
    slack.behave(() => replies.archived);
    const env = cleanEnv({ SLACK_WEBHOOK_URL: slack.webhookUrl() });
    const { code, stdout } = await runCli(["test-alert", "pipeline.yaml"], env);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^slack → .*: FAILED.*channel_is_archived.*\(410\)/m);
    expect(stdout).toMatch(/^sentry: not configured/m);
    expect(stdout).not.toContain(secretToken);
  });

  it("never prints the token when Slack's refusal echoes the path URL-encoded or its last segment", async () => {
    for (const body of [`invalid_token ${encodeURIComponent(SECRET_PATH)}`, `invalid_token ${secretToken}`]) {
      slack.behave(() => ({ status: 403, body }));
      const env = cleanEnv({ SLACK_WEBHOOK_URL: slack.webhookUrl() });
      const { code, stdout, stderr } = await runCli(["test-alert", "pipeline.yaml"], env);
      expect(code).toBe(1);
      expect(stdout).toMatch(/^slack → .*: FAILED.*invalid_token.*\(403\)/m);
      expect(stdout + stderr).not.toContain(secretToken);
    }
  });

  it("says what to set when nothing is configured", async () => {
    const { code, stdout } = await runCli(["test-alert", "pipeline.yaml"], cleanEnv());
    expect(code).toBe(1);
    expect(stdout).toMatch(/set SLACK_WEBHOOK_URL and\/or SENTRY_DSN/);
  });
});
