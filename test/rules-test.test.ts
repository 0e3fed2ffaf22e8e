// `alertpipe test rules`: the shipped examples pass through the CLI; a failing expectation prints
// promtool's exp/got with a diff and exits 1; a malformed file exits 2 naming file:line and the bad
// value; stale markers, counter resets and histograms mean what the docs say.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OtlpNormalizer } from "../src/receivers/otlp/normalize.ts";
import { Registry } from "../src/registry.ts";
import { parseRuleTestText } from "../src/rules-test/file.ts";
import { runRuleTestFile } from "../src/rules-test/run.ts";
import { REPO_ROOT, runCli } from "./support/cli.ts";

const SHIPPED_PIPELINE = join(REPO_ROOT, "pipeline.yaml");

async function testFile(body: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "alertpipe-rules-test-"));
  const file = join(dir, "rules.test.yaml");
  await writeFile(file, `pipeline: ${JSON.stringify(SHIPPED_PIPELINE)}\n${body}`);
  return file;
}

/** Runs a test file's text in-process; the failures as printed lines. */
async function failuresOf(body: string): Promise<string[]> {
  const read = parseRuleTestText(
    `pipeline: ${JSON.stringify(SHIPPED_PIPELINE)}\n${body}`,
    "inline.test.yaml",
  );
  if (!read.ok) throw new Error(read.problems.map((p) => p.message).join("\n"));
  const outcome = await runRuleTestFile(read.file, { registry: new Registry() });
  if (!outcome.ok) throw new Error(outcome.problems.map((p) => p.message).join("\n"));
  return outcome.results.flatMap((r) => r.failures.flatMap((f) => [f.title, ...f.lines]));
}

// Spawned CLIs and whole-day replays: generous time on a shared, loaded machine.
describe("alertpipe test rules (CLI)", { timeout: 120_000 }, () => {
  it("passes the shipped examples/pipeline.test.yaml: all eight seed rules, cooldown, escalation, digest", async () => {
    const { code, stdout, stderr } = await runCli(["test", "rules", "examples/pipeline.test.yaml"]);
    expect(stderr).toBe("");
    expect(stdout).toContain("Unit Testing: examples/pipeline.test.yaml\n  SUCCESS");
    expect(code).toBe(0);
  });

  it("prints each failure with rule, eval time and an exp/got diff, and exits 1", async () => {
    const file = await testFile(`
tests:
  - name: unhealthy service
    interval: 30s
    input_series:
      - series: 'pipeline.health.score{service.name="svc-a"}'
        values: '90 90 20x8 90x4'
    alert_rule_test:
      - eval_time: 3m
        alertname: system_health
        exp_alerts:
          - exp_labels: { service.name: svc-b, severity: critical }
    notice_test:
      - until: 10m
        exp_notices:
          - { alertname: system_health, status: firing, labels: { service.name: svc-a } }
          - { alertname: system_health, status: escalated }
`);
    const { code, stdout } = await runCli(["test", "rules", file]);
    expect(code).toBe(1);
    expect(stdout).toContain("  FAILED:\n    unhealthy service: alertname: system_health, time: 3m\n");
    expect(stdout).toContain('exp:\n          {service.name="svc-b", severity="critical"}');
    expect(stdout).toContain('got:\n          {service.name="svc-a", severity="critical"} value=20');
    expect(stdout).toContain('- {service.name="svc-b", severity="critical"}');
    expect(stdout).toContain('+ {service.name="svc-a", severity="critical"}');
    expect(stdout).toContain("unhealthy service: notices until 10m");
    expect(stdout).toContain("~ exp #2 / got #2: status: expected escalated, got resolved");
  });

  it("exits 2 on a malformed file, with file:line:column, the key and the bad value", async () => {
    const file = await testFile(`tests:
  - interval: 30s
    input_series:
      - series: 'pipeline.health.score{service.name="svc-a"}'
        values: '90 1+2x 20x8'
      - series: 'pipeline.health.score{service.name=svc-a}'
        values: '1'
      - series: 'http.client.request.duration'
        type: histogram
        bounds: [1, 5]
        values: '{{buckets:[1 2]}}'
    alert_rule_test:
      - eval_time: 3 minutes
        alertname: system_health
        exp_alerts: []
    notice_tset: []
`);
    const { code, stdout } = await runCli(["test", "rules", file]);
    expect(code).toBe(2);
    expect(stdout).toContain("FAILED (malformed):");
    expect(stdout).toContain(
      `${file}:6:17 tests[0].input_series[0].values: "1+2x" is not expanding notation (a, a+bxn, a-bxn, axn, _, _xn or stale)`,
    );
    expect(stdout).toContain(
      `${file}:7:17 tests[0].input_series[1].series: "pipeline.health.score{service.name=svc-a}": expected a quoted value for service.name`,
    );
    expect(stdout).toContain(
      `${file}:12:17 tests[0].input_series[2].values: "{{buckets:[1 2]}}": 2 bucket counts for 2 bounds`,
    );
    expect(stdout).toContain(
      `${file}:14:20 tests[0].alert_rule_test[0].eval_time: "3 minutes" is not a duration`,
    );
    expect(stdout).toContain(`${file}:17:5 tests[0].notice_tset: unknown key`);
  });

  it("exits 2 on a rule name the pipeline does not have, and on a missing pipeline file", async () => {
    const unknown = await testFile(`tests:
  - alert_rule_test:
      - eval_time: 1m
        alertname: system_helth
`);
    const a = await runCli(["test", "rules", unknown]);
    expect(a.code).toBe(2);
    expect(a.stdout).toMatch(
      /rules\.test\.yaml:5:20 tests\[0\]\.alert_rule_test\[0\]\.alertname: no rule named "system_helth" in pipeline\.yaml \(rules: database_failures, disk_usage/,
    );

    const dir = await mkdtemp(join(tmpdir(), "alertpipe-rules-test-"));
    const missing = join(dir, "x.test.yaml");
    await writeFile(missing, "pipeline: ./nope.yaml\ntests:\n  - name: t\n");
    const b = await runCli(["test", "rules", missing]);
    expect(b.code).toBe(2);
    expect(b.stdout).toContain(
      `${missing}:1:11 pipeline: cannot read ${join(dir, "nope.yaml")}: file not found`,
    );
  });
});

describe("reading test files", () => {
  it("reports a YAML syntax error with its line, once", () => {
    const read = parseRuleTestText("tests:\n  - name: a\n    interval: [1m\n", "x.test.yaml");
    expect(read.ok).toBe(false);
    expect(!read.ok && read.problems.map((p) => [p.file, p.line])).toEqual([["x.test.yaml", 4]]);
  });
});

describe("the README's examples", () => {
  it("the Testing rules example passes against the shipped pipeline.yaml", async () => {
    const readme = await readFile(join(REPO_ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Testing rules"));
    const start = section.indexOf("```yaml\n") + 8;
    const example = section.slice(start, section.indexOf("```", start));
    expect(example).toContain("pipeline: ../pipeline.yaml");
    expect(await failuresOf(example.replace(/^pipeline: .*$/m, ""))).toEqual([]);
  });
});

describe("what the notations mean in a run", () => {
  it("`stale` ends the series: the alert resolves after stale_after, saying so", async () => {
    const failures = await failuresOf(`
tests:
  - input_series:
      - series: 'pipeline.health.score{service.name="svc-a"}'
        values: '20 20 stale'
    notice_test:
      - until: 9m
        exp_notices:
          - { at: 0m, alertname: system_health, status: firing }
          - { at: 7m, alertname: system_health, status: resolved, annotations: { summary: "system_health resolved: no data for 300 s for service.name=svc-a" } }
`);
    expect(failures).toEqual([]);
  });

  it("a counter that goes down was reset: the new value counts from zero, as in Prometheus", async () => {
    // 3 failures at 7m, a reset to 1 at 8m (+1), 3 at 9m (+2): 6 in the window at 9m, not 5
    const failures = await failuresOf(`
tests:
  - input_series:
      - series: 'pipeline.db.failures'
        type: counter
        values: '0x6 3 1 3 3'
    alert_rule_test:
      - { eval_time: 8m, alertname: database_failures, exp_alerts: [] }
      - { eval_time: 9m, alertname: database_failures, exp_alerts: [{ exp_labels: { severity: critical }, exp_value: 6 }] }
`);
    expect(failures).toEqual([]);
  });

  it("a missing sample (_) is no data: a gauge keeps its last value until then", async () => {
    const failures = await failuresOf(`
tests:
  - input_series:
      - series: 'pipeline.health.score{service.name="svc-a"}'
        values: '90 _x3 20'
    alert_rule_test:
      - { eval_time: 3m, alertname: system_health, exp_alerts: [] }
      - { eval_time: 4m, alertname: system_health, exp_alerts: [{ exp_labels: { service.name: svc-a, severity: critical } }] }
`);
    expect(failures).toEqual([]);
  });
});

describe("incident notices in a rule test", () => {
  const cascade = `
tests:
  - name: cascade
    interval: 30s
    input_series:
      - series: 'pipeline.db.failures'
        type: counter
        values: '0x10 6+2x20'
      - series: 'pipeline.health.score{service.name="svc-a"}'
        values: '95x12 15x20'
    notice_test:
      - until: 25m
        exp_notices:`;

  it("expects an incident by its cause and members (with their offsets)", async () => {
    const failures = await failuresOf(`${cascade}
          - { kind: incident, at: 5m30s, cause: database_failures, alerts: [{ alertname: database_failures }] }
          - kind: incident
            at: 10m30s
            cause: database_failures
            alerts:
              - { alertname: database_failures, offset: 0s }
              - { alertname: system_health, offset: 1m, labels: { service.name: svc-a } }
          # an incident notice is an alert about its cause: alert expectations match it too
          - { at: 20m30s, alertname: database_failures, status: escalated }
          - { at: 22m, kind: incident, status: resolved } # no data since 16m: resolved stale
`);
    expect(failures).toEqual([]);
  });

  it("says how an incident differs: its cause, a member's offset, the members' count", async () => {
    const failures = await failuresOf(`${cascade}
          - { kind: incident, at: 5m30s, cause: database_failures }
          - kind: incident
            cause: system_health
            alerts:
              - { alertname: database_failures }
              - { alertname: system_health, offset: 30s }
              - { alertname: rpc_error_rate }
          - { kind: incident, status: escalated }
`);
    expect(failures.join("\n")).toContain(
      "~ exp #2 / got #2: cause: expected system_health, got database_failures",
    );
    expect(failures.join("\n")).toContain("~ exp #2 / got #2: incident: expected 3 alerts, got 2");
    expect(failures.join("\n")).toContain(
      "~ exp #2 / got #2: incident alert 2: offset: expected +30s, got +1m",
    );
    expect(failures).toContain(
      '  2. 10m30s incident (cause database_failures) database_failures firing {severity="critical"}: +0s database_failures firing {severity="critical"}; +1m system_health firing {service.name="svc-a", severity="critical"}',
    );
  });
});

describe("the otlp receiver and stale markers", () => {
  it("takes a point flagged no-recorded-value (OTLP's staleness marker) as no data, not as an error", () => {
    const normalizer = new OtlpNormalizer({ now: () => 1_000 });
    const point = { timeUnixNano: "1000000000", flags: 1 };
    const result = normalizer.metrics({
      resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "g", gauge: { dataPoints: [point] } }] }] }],
    });
    expect(result).toEqual({ items: [], rejected: 0, errors: [] });
  });
});
