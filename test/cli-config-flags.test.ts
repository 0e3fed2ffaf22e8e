// --config (repeatable, merged like the Collector) and --set key::path=value on every command that
// reads a pipeline.yaml: run, validate, test-alert, test rules, replay, and the API clients (which
// then take the endpoint and token from it). Problems name the file or the flag.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, REPO_ROOT, runCli, startCli } from "./support/cli.ts";
import { type FakeSlack, startFakeSlack } from "./support/fake-slack.ts";

let dir: string;
const BASE = `receivers:
  otlp:
    endpoint: \${env:ALERTPIPE_OTLP_ENDPOINT:-127.0.0.1:4318}
processors:
  threshold/system_health:
    metric: pipeline.health.score
    aggregation: last
    group_by: [service.name]
    op: below
    threshold: 30
    severity: critical
    component: system
exporters:
  console:
    output: stdout
service:
  status:
    endpoint: \${env:ALERTPIPE_STATUS_ENDPOINT:-127.0.0.1:13133}
  pipelines:
    alerts:
      receivers: [otlp]
      processors: [threshold/system_health]
      exporters: [console]
`;

const healthRequest = (value: number) =>
  JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "scraper" } }] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: "pipeline.health.score",
                gauge: { dataPoints: [{ asDouble: value, timeUnixNano: `${Date.now()}000000` }] },
              },
            ],
          },
        ],
      },
    ],
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "alertpipe-flags-"));
  await writeFile(join(dir, "base.yaml"), BASE);
  await writeFile(join(dir, "strict.yaml"), "processors:\n  threshold/system_health:\n    threshold: 50\n");
  await writeFile(join(dir, "bad.yaml"), "processors:\n  threshold/system_health:\n    for: soon\n");
});

describe("validate", () => {
  it("merges --config files and applies --set; a problem names its file or flag", async () => {
    const ok = await runCli(
      ["validate", "--config", "base.yaml", "--config", "strict.yaml"],
      cleanEnv(),
      dir,
    );
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toBe("base.yaml + strict.yaml: valid (1 pipeline(s), 3 component(s))\n");
    expect(ok.code).toBe(0);

    const bad = await runCli(
      [
        "validate",
        "base.yaml",
        "-c",
        "bad.yaml",
        "--set",
        "processors::threshold/system_health::threshold=low",
      ],
      cleanEnv(),
      dir,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toEqual([
      'bad.yaml:3:10 processors.threshold/system_health.for: expected a non-negative number of seconds or a duration (e.g. 30s, 5m, 1h30m), got "soon"',
      '--set processors::threshold/system_health::threshold: expected a number, got "low"',
    ]);
  });

  it("refuses a --set without a value, and an unknown option, with the command's help", async () => {
    const noValue = await runCli(["validate", "base.yaml", "--set", "processors"], cleanEnv(), dir);
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toContain("--set processors: expected key=value");
    const unknown = await runCli(["validate", "--confg", "base.yaml"], cleanEnv(), dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--confg'[\s\S]*Usage: alertpipe validate/);
  });
});

describe("run", () => {
  it("runs the merged config with --set on top", async () => {
    const cli = startCli(
      [
        "run",
        "--config",
        "base.yaml",
        "--config",
        "strict.yaml",
        "--set",
        "processors::threshold/system_health::threshold=60",
        "--set",
        "processors.threshold/system_health.check_interval=200ms",
      ],
      cleanEnv(),
      dir,
    );
    try {
      const [, otlp] = await cli.waitFor(/"otlp":"(127\.0\.0\.1:\d+)"/);
      await cli.waitFor(/"config":"base\.yaml \+ strict\.yaml"/);
      const res = await fetch(`http://${otlp}/v1/metrics`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: healthRequest(55), // above the files' 30 and 50, below the --set 60
      });
      expect(res.status).toBe(200);
      await cli.waitFor(/FIRING critical \[system\] system_health:.*value=55/, 10_000, "stdout");
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});

describe("test rules, replay and test-alert", () => {
  it("test rules: --set overrides the tested pipeline (a lower threshold no longer fires)", async () => {
    const tests = join(REPO_ROOT, "examples", "pipeline.test.yaml");
    const pass = await runCli(["test", "rules", tests]);
    expect(pass.code).toBe(0);
    const changed = await runCli([
      "test",
      "rules",
      tests,
      "--set",
      "processors::threshold/system_health::threshold=10",
    ]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/FAILED:[\s\S]*alertname: system_health/);
  });

  it("test rules: --config replaces the file's pipeline", async () => {
    await writeFile(
      join(dir, "health.test.yaml"),
      `pipeline: does-not-exist.yaml
tests:
  - name: unhealthy
    interval: 1m
    input_series:
      - series: 'pipeline.health.score{service.name="svc"}'
        values: '20x5'
    alert_rule_test:
      - eval_time: 3m
        alertname: system_health
        exp_alerts:
          - exp_labels: { service.name: svc, severity: critical }
`,
    );
    const run = await runCli(["test", "rules", "health.test.yaml", "--config", "base.yaml"], cleanEnv(), dir);
    expect(run.stdout).toContain("SUCCESS");
    expect(run.code).toBe(0);
  });

  it("replay and test-alert take --config/--set; test-alert reaches the webhook --set names", async () => {
    await writeFile(join(dir, "capture.jsonl"), `${healthRequest(55)}\n`);
    const replayed = await runCli(
      [
        "replay",
        "capture.jsonl",
        "-c",
        "base.yaml",
        "--set",
        "processors::threshold/system_health::threshold=60",
      ],
      cleanEnv(),
      dir,
    );
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toMatch(/firing\s+system_health\s+critical/);

    const slack: FakeSlack = await startFakeSlack();
    try {
      const probed = await runCli(
        [
          "test-alert",
          "--config",
          join(REPO_ROOT, "pipeline.yaml"),
          "--set",
          `exporters::slack::webhook_url=${slack.webhookUrl()}`,
        ],
        cleanEnv(),
        dir,
      );
      expect(probed.stdout).toMatch(/^slack → .*: ok/m);
      expect(probed.stdout).not.toContain(slack.webhookUrl());
      expect(slack.delivered()).toHaveLength(1);
    } finally {
      await slack.close();
    }
  });
});

describe("the API clients with --config", () => {
  let cli: ReturnType<typeof startCli>;
  let status = "";
  const TOKEN = "flag-token-0123456789abcdef";

  beforeAll(async () => {
    cli = startCli(["run", "base.yaml", "--set", `service::status::auth::token=${TOKEN}`], cleanEnv(), dir);
    [, status = ""] = await cli.waitFor(/"status":"(127\.0\.0\.1:\d+)"/);
  });
  afterAll(async () => {
    expect(await cli.stop()).toBe(0);
  });

  it("read the endpoint and the token from the pipeline.yaml and its --set flags", async () => {
    // No ALERTPIPE_STATUS_* in the clients' environment: everything comes from the config.
    const env = cleanEnv();
    delete env.ALERTPIPE_STATUS_ENDPOINT;
    const config = ["--config", "base.yaml", "--set", `service::status::endpoint=${status}`];
    const refused = await runCli(
      ["silence", "add", "system_health", "-c", "maintenance", ...config],
      env,
      dir,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/401/);
    const added = await runCli(
      [
        "silence",
        "add",
        "system_health",
        "-c",
        "maintenance",
        ...config,
        "--set",
        `service::status::auth::token=${TOKEN}`,
      ],
      env,
      dir,
    );
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
    const listed = await runCli(["silence", "list", "-q", ...config], env, dir);
    expect(listed.stdout.trim()).toBe(added.stdout.trim());
    const alerts = await runCli(["alerts", "--json", ...config], env, dir);
    expect(alerts.code).toBe(0);
    expect(JSON.parse(alerts.stdout)).toEqual([]);
  });
});
