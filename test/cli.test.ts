import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanEnv, REPO_ROOT, runCli, startCli } from "./support/cli.ts";

const gaugeRequest = (value: number) => ({
  resourceMetrics: [
    {
      resource: { attributes: [{ key: "service.name", value: { stringValue: "scraper" } }] },
      scopeMetrics: [
        {
          scope: { name: "test" },
          metrics: [
            {
              name: "pipeline.health.score",
              unit: "1",
              gauge: {
                dataPoints: [
                  {
                    asDouble: value,
                    timeUnixNano: String(Date.now() * 1e6),
                    attributes: [{ key: "host.name", value: { stringValue: "roaster-1" } }],
                  },
                ],
              },
            },
          ],
        },
      ],
    },
  ],
});

async function tempConfig(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "alertpipe-cli-"));
  const file = join(dir, "pipeline.yaml");
  await writeFile(file, text);
  return file;
}

describe("alertpipe CLI", () => {
  it("validate: the shipped pipeline.yaml is valid", async () => {
    const { code, stdout, stderr } = await runCli(["validate", "pipeline.yaml"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/pipeline\.yaml: valid/);
  });

  it("validate: one message per problem with line and key path, exit 2", async () => {
    const file = await tempConfig(`receivers:
  otlp:
    endpoint: 127.0.0.1:4318
    colour: blue
exporters:
  console:
    json: yes please
    output: \${env:ALERTPIPE_TEST_UNSET_VARIABLE}
service:
  pipelines:
    alerts:
      receivers: [otlp]
      exporters: [console]
`);
    const { code, stderr } = await runCli(["validate", file]);
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toEqual([
      "pipeline.yaml:4:5 receivers.otlp.colour: unknown key",
      'pipeline.yaml:7:11 exporters.console.json: expected a boolean, got "yes please"',
      "pipeline.yaml:8:13 exporters.console.output: environment variable ALERTPIPE_TEST_UNSET_VARIABLE is not set and has no default",
    ]);
  });

  it("schema: prints the JSON Schema of pipeline.yaml, the committed pipeline.schema.json", async () => {
    const { code, stdout } = await runCli(["schema"]);
    expect(code).toBe(0);
    const schema = JSON.parse(stdout) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(["receivers", "processors", "exporters", "service"]);
    expect(stdout).toBe(await readFile(join(REPO_ROOT, "pipeline.schema.json"), "utf8"));
  });

  it("run: a bad config exits 2 with the problem; a taken port exits 2 with one line", async () => {
    const bad = await runCli(["run", await tempConfig("service: {}\n")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/pipeline\.yaml:1:\d+ service\.pipelines: required/);

    const first = startCli(
      ["run", "test/fixtures/console-only.yaml"],
      cleanEnv({ ALERTPIPE_OTLP_ENDPOINT: "127.0.0.1:0" }),
    );
    try {
      const [, port] = await first.waitFor(/"otlp":"127\.0\.0\.1:(\d+)"/);
      const second = await runCli(
        ["run", "test/fixtures/console-only.yaml"],
        cleanEnv({ ALERTPIPE_OTLP_ENDPOINT: `127.0.0.1:${port}` }),
      );
      expect(second.code).toBe(2);
      expect(second.stderr.trim()).toBe(
        `console-only.yaml:3:15 receivers.otlp.endpoint: cannot listen on 127.0.0.1:${port}: address already in use (from \${env:ALERTPIPE_OTLP_ENDPOINT})`,
      );
    } finally {
      expect(await first.stop()).toBe(0);
    }
  });

  it("run: an OTLP/JSON gauge below its threshold prints one alert; a malformed body gets 400 and the collector lives on", async () => {
    const file = await tempConfig(`receivers:
  otlp:
    endpoint: \${env:ALERTPIPE_OTLP_ENDPOINT}
processors:
  threshold/system_health:
    metric: pipeline.health.score
    group_by: [host.name]
    op: below
    threshold: \${env:ALERT_SYSTEM_HEALTH_THRESHOLD:-30}
    severity: critical
    component: system
exporters:
  console: {}
service:
  status:
    endpoint: \${env:ALERTPIPE_STATUS_ENDPOINT}
  pipelines:
    alerts:
      receivers: [otlp]
      processors: [threshold/system_health]
      exporters: [console]
`);
    const cli = startCli(["run", file]);
    try {
      const [, port] = await cli.waitFor(/"otlp":"127\.0\.0\.1:(\d+)"/);
      const url = `http://127.0.0.1:${port}/v1/metrics`;
      const post = (body: string) =>
        fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });

      const malformed = await post("{ not json");
      expect(malformed.status).toBe(400);
      expect(await malformed.text()).toMatch(/json|JSON|parse/);

      const healthy = await post(JSON.stringify(gaugeRequest(80)));
      expect(healthy.status).toBe(200);
      const breach = await post(JSON.stringify(gaugeRequest(12)));
      expect(breach.status).toBe(200);
      const [line] = await cli.waitFor(/^.*FIRING critical \[system\] system_health.*$/m, 15_000, "stdout");
      expect(line).toContain("host.name=roaster-1");
      expect(line).toMatch(/value=12\b/);
      expect(line).toMatch(/threshold=30\b/);
      expect(cli.stdout().match(/FIRING/g)).toHaveLength(1);
    } finally {
      expect(await cli.stop("SIGINT")).toBe(0);
    }
  });
});
