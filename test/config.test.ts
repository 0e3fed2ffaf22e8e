import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ConfigError, formatProblem } from "../src/config/errors.ts";
import { pipelineJsonSchema } from "../src/config/json-schema.ts";
import { loadConfigText } from "../src/config/load.ts";
import { Registry } from "../src/registry.ts";
import { startAlertPipeline } from "../src/service.ts";
import { MemoryStateStore } from "../src/state/memory-store.ts";

const registry = new Registry();
const load = (text: string, env: Record<string, string> = {}, configDir = process.cwd()) =>
  loadConfigText(text, { env, registry, file: "pipeline.yaml", configDir });

const base = (exporters: string) => `receivers:
  otlp: {}
exporters:
${exporters}
service:
  pipelines:
    alerts:
      receivers: [otlp]
      exporters: [console]
`;

describe("pipeline.yaml loading", () => {
  it("reports each problem with file, line, column and key path", async () => {
    const result = await load(`receivers:
  otlp:
    endpont: 127.0.0.1:4318
exporters:
  console:
    json: \${env:CONSOLE_JSON}
    output: \${env:CONSOLE_OUT:-stdout}
service:
  pipelines:
    alerts:
      receivers: [otlp]
      exporters: [console, slackk]
`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map(formatProblem)).toEqual([
      "pipeline.yaml:3:5 receivers.otlp.endpont: unknown key",
      "pipeline.yaml:6:11 exporters.console.json: environment variable CONSOLE_JSON is not set and has no default",
      'pipeline.yaml:12:28 service.pipelines.alerts.exporters[1]: unknown exporter "slackk"',
    ]);
  });

  it("names the variable a wrongly typed value came from", async () => {
    const result = await load(base("  console:\n    json: ${env:CONSOLE_JSON}"), { CONSOLE_JSON: "ten" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map(formatProblem)).toEqual([
      'pipeline.yaml:5:11 exporters.console.json: expected a boolean, got "ten" (from ${env:CONSOLE_JSON})',
    ]);
  });

  it("substitutes env with YAML types for whole scalars, text inside strings, and $${ escapes", async () => {
    const text = base("  console:\n    json: ${env:J}\n    output: ${env:OUT:-stdout}");
    const result = await load(text, { J: "true" });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.components.get("exporters:console")?.config).toEqual({
      json: true,
      output: "stdout",
    });
    const inline = await load(`${text}  status:\n    endpoint: "\${env:HOST:-127.0.0.1}:\${env:PORT:-1}"\n`, {
      J: "false",
      PORT: "9999",
    });
    expect(inline.ok && inline.config.service.status.endpoint).toBe("127.0.0.1:9999");
    // ${env:VAR:+alt}: alt when VAR is set and not empty, else nothing.
    const alt = base("  console:\n    output: stdout${env:ERR:+err}");
    const set = await load(alt.replace("stdout${env:ERR:+err}", "${env:ERR:+stderr}"), { ERR: "1" });
    expect(set.ok && set.config.components.get("exporters:console")?.config).toMatchObject({
      output: "stderr",
    });
    const unset = await load(alt, {});
    expect(unset.ok && unset.config.components.get("exporters:console")?.config).toMatchObject({
      output: "stdout",
    });
  });

  it("a malformed reference is an error naming its variable, never a literal in Slack", async () => {
    const text = (value: string) =>
      base(`  console: {}\n  slack:\n    webhook_url: ''\n    environment: ${JSON.stringify(value)}`);
    const cases: Array<[string, string]> = [
      [
        "${env:SENTRY_ENVIRONMENT:production}",
        'malformed reference to SENTRY_ENVIRONMENT: ":production" is neither ":-default" nor ":+alternative" (write ${env:SENTRY_ENVIRONMENT:-production} for a default)',
      ],
      [
        "${env:SENTRY_ENVIRONMENT",
        'unclosed reference to SENTRY_ENVIRONMENT: "${env:SENTRY_ENVIRONMENT" has no closing "}"',
      ],
      [
        "prod-${SENTRY_ENVIRONMENT}",
        'reference to SENTRY_ENVIRONMENT lacks the "env:" prefix: write ${env:SENTRY_ENVIRONMENT}',
      ],
      [
        "${SENTRY_ENVIRONMENT:-production}",
        'reference to SENTRY_ENVIRONMENT lacks the "env:" prefix: write ${env:SENTRY_ENVIRONMENT:-production}',
      ],
      [
        "${file:/etc/env}",
        'unsupported reference provider "file:": only ${env:VAR} is read (write $${ for a literal "${")',
      ],
      [
        "${env:9LIVES}",
        'malformed reference "${env:9LIVES…}": a variable name is letters, digits and _, not starting with a digit',
      ],
    ];
    for (const [value, message] of cases) {
      const result = await load(text(value), { SENTRY_ENVIRONMENT: "staging" });
      expect(result.ok ? [] : result.problems.map(formatProblem), value).toEqual([
        `pipeline.yaml:7:18 exporters.slack.environment: ${message}`,
      ]);
    }
    // `$${` is the escape: a literal "${" reaches the component, nothing is looked up.
    const escaped = await load(text("$${env:SENTRY_ENVIRONMENT} is literal"), {});
    expect(escaped.ok && escaped.config.components.get("exporters:slack")?.config).toMatchObject({
      environment: "${env:SENTRY_ENVIRONMENT} is literal",
    });
    // A default under a secret-looking key is not echoed either.
    const secret = await load(
      base(
        "  console: {}\n  slack:\n    webhook_url: ${env:SLACK_WEBHOOK_URL:https://hooks.slack.com/services/T0/B0/xyz}",
      ),
    );
    expect(!secret.ok && secret.problems.map(formatProblem)).toEqual([
      'pipeline.yaml:6:18 exporters.slack.webhook_url: malformed reference to SLACK_WEBHOOK_URL: ":…" is neither ":-default" nor ":+alternative" (write ${env:SLACK_WEBHOOK_URL:-…} for a default)',
    ]);
  });

  it("a semantic (validate) error about an env value names the variable, never the value", async () => {
    const text = base(
      "  console: {}\n  slack:\n    webhook_url: ${env:SLACK_WEBHOOK_URL:-}\n  sentry:\n    dsn: ${env:SENTRY_DSN:-}",
    );
    const result = await load(text, {
      SLACK_WEBHOOK_URL: "http://hooks.slack.com/services/T000/B000/XXXXSECRET",
      SENTRY_DSN: "https://publickeysecret@o1.ingest.sentry.io/not-a-number",
    });
    const messages = result.ok ? [] : result.problems.map(formatProblem);
    expect(messages).toEqual([
      "pipeline.yaml:6:18 exporters.slack.webhook_url: webhook_url must be an https:// URL (plain http is allowed only for 127.0.0.1, localhost and ::1) (from ${env:SLACK_WEBHOOK_URL})",
      "pipeline.yaml:8:10 exporters.sentry.dsn: dsn has no numeric project id at the end of its path (from ${env:SENTRY_DSN})",
    ]);
    expect(messages.join("\n")).not.toMatch(/SECRET|secret/);
  });

  it("an error a component raises at create or start points at its key and names the variable", async () => {
    const dir = await mkdtemp(join(tmpdir(), "alertpipe-config-"));
    await writeFile(join(dir, "not-a-dir"), "");
    const configText = `receivers:
  otlp:
    endpoint: \${env:OTLP_ENDPOINT}
exporters:
  file:
    path: \${env:ALERT_LOG_FILE}
service:
  status: { enabled: false }
  pipelines:
    alerts: { receivers: [otlp], exporters: [file] }
`;
    const start = (env: Record<string, string>) =>
      startAlertPipeline({
        configText,
        env,
        state: new MemoryStateStore(),
        logger: pino({ level: "silent" }),
      });
    const problemsOf = (err: unknown) => (err instanceof ConfigError ? err.problems.map(formatProblem) : err);
    const unopenable = join(dir, "not-a-dir/alerts.jsonl");
    const created = await start({ OTLP_ENDPOINT: "127.0.0.1:0", ALERT_LOG_FILE: unopenable }).catch(
      problemsOf,
    );
    expect(created).toEqual([
      `<inline>:6:11 exporters.file.path: cannot append to ${unopenable}: EEXIST: file already exists, mkdir '${dir}/not-a-dir' (from \${env:ALERT_LOG_FILE})`,
    ]);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const env = { OTLP_ENDPOINT: `127.0.0.1:${port}`, ALERT_LOG_FILE: join(dir, "alerts.jsonl") };
      const started = await start(env).catch(problemsOf);
      expect(started).toEqual([
        `<inline>:3:15 receivers.otlp.endpoint: cannot listen on 127.0.0.1:${port}: address already in use (from \${env:OTLP_ENDPOINT})`,
      ]);
    } finally {
      taken.close();
    }
  });

  it("reads an env value as text where the field wants text, and never echoes a secret", async () => {
    const text = `receivers:
  otlp:
    auth:
      token: \${env:OTLP_TOKEN}
exporters:
  console: {}
  slack:
    webhook_url: 83749283749283
service:
  pipelines:
    alerts:
      receivers: [otlp]
      exporters: [console, slack]
`;
    const numericToken = await load(text.replace("webhook_url: 83749283749283", "webhook_url: ''"), {
      OTLP_TOKEN: "83749283749283",
    });
    expect(numericToken.ok && numericToken.config.components.get("receivers:otlp")?.config).toMatchObject({
      auth: { token: "83749283749283" },
    });
    const literal = await load(text, { OTLP_TOKEN: "abc" });
    expect(literal.ok).toBe(false);
    if (!literal.ok) {
      const messages = literal.problems.map(formatProblem).join("\n");
      expect(messages).toMatch(/exporters\.slack\.webhook_url: expected a string, got "\*\*\*"/);
      expect(messages).not.toContain("83749283749283");
    }
  });

  it("never echoes a value that came from a secret-named variable, whatever key it fills", async () => {
    const text = `receivers: { otlp: {} }
processors: { throttle: { max_per_window: "\${env:MY_SLACK_TOKEN}" } }
exporters: { console: {} }
service: { pipelines: { alerts: { receivers: [otlp], processors: [throttle], exporters: [console] } } }
`;
    const result = await load(text, { MY_SLACK_TOKEN: "xoxb-not-a-number-s3cr3t" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const messages = result.problems.map(formatProblem).join("\n");
    expect(messages).toMatch(
      /processors\.throttle\.max_per_window: .*got "\*\*\*" \(from \$\{env:MY_SLACK_TOKEN\}\)/,
    );
    expect(messages).not.toContain("s3cr3t");
  });

  it("refuses a spike baseline that would need an unbounded window history", async () => {
    const text = `receivers:
  otlp: {}
processors:
  spike/review_rate_spike:
    ratio:
      numerator: { metric: pipeline.artifacts.review_flagged }
      denominator: { metric: pipeline.artifacts.processed }
    window: \${env:ALERT_RATE_WINDOW:-300}
    baseline_window: 3600
exporters:
  console: {}
service:
  pipelines:
    alerts:
      receivers: [otlp]
      processors: [spike/review_rate_spike]
      exporters: [console]
`;
    expect((await load(text)).ok).toBe(true);
    const tiny = await load(text, { ALERT_RATE_WINDOW: "0.01" });
    expect(!tiny.ok && tiny.problems.map(formatProblem)).toEqual([
      "pipeline.yaml:9:22 processors.spike/review_rate_spike.baseline_window: at most 100 × window (0.01 s), got 3600 s: lower baseline_window or widen window (window from ${env:ALERT_RATE_WINDOW})",
    ]);
  });

  it("the README's pipeline.yaml walk-through is a valid config", async () => {
    const readme = await readFile(join(process.cwd(), "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## pipeline.yaml"));
    const example = section.slice(
      section.indexOf("```yaml\n") + 8,
      section.indexOf("```", section.indexOf("```yaml\n") + 8),
    );
    const result = await load(example);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
  });

  it("an empty boolean from the environment means its default (SLACK_ALERTS_ENABLED= in a .env file)", async () => {
    const text = base(
      "  console: {}\n  slack:\n    enabled: ${env:SLACK_ALERTS_ENABLED:-true}\n    webhook_url: ''",
    );
    for (const [value, expected] of [
      ["", true],
      ["0", false],
      ["yes", true],
      ["off", false],
    ] as const) {
      const result = await load(text, { SLACK_ALERTS_ENABLED: value });
      expect(result.ok && result.config.components.get("exporters:slack")?.config, value).toMatchObject({
        enabled: expected,
      });
    }
    const wrong = await load(text, { SLACK_ALERTS_ENABLED: "maybe" });
    expect(!wrong.ok && formatProblem(wrong.problems[0] as never)).toMatch(
      /exporters\.slack\.enabled: expected true or false, got "maybe" \(from \$\{env:SLACK_ALERTS_ENABLED\}\)/,
    );
  });

  it("reports YAML syntax errors with their position", async () => {
    const result = await load("receivers:\n  otlp: {\nservice: [");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]?.line).toBeGreaterThan(0);
    expect(
      formatProblem(result.problems[0] ?? { file: "", line: 0, column: 0, path: [], message: "" }),
    ).toMatch(/^pipeline\.yaml:\d+:\d+ /);
  });

  it("fills component defaults and rejects unknown component types", async () => {
    const ok = await load(base("  console: {}"));
    expect(ok.ok && ok.config.components.get("exporters:console")?.config).toEqual({
      output: "stdout",
      json: false,
    });
    const bad = await load(base("  console: {}\n  pagerduty: {}"));
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(formatProblem(bad.problems[0] as never)).toMatch(/exporters\.pagerduty: unknown exporter type/);
  });

  it("loads a component from a module path and validates it with the module's schema", async () => {
    const dir = await mkdtemp(join(tmpdir(), "alertpipe-config-"));
    const modulePath = join(process.cwd(), "examples/file-lines-exporter.js");
    const good = `${base("  console: {}")}`.replace(
      "exporters:\n",
      `exporters:\n  custom/lines:\n    module: ${modulePath}\n    path: out.jsonl\n`,
    );
    const result = await load(good, {}, dir);
    expect(result.ok).toBe(true);
    if (result.ok)
      expect(result.config.components.get("exporters:custom/lines")?.factory.type).toBe("file-lines");
    const wrong = await load(good.replace("path: out.jsonl", "path: 3"), {}, dir);
    expect(!wrong.ok && wrong.problems.map(formatProblem)[0]).toMatch(
      /^pipeline\.yaml:\d+:\d+ exporters\.custom\/lines\.path: expected a string, got 3$/,
    );
    await writeFile(join(dir, "not-a-factory.js"), "export const x = 1;\n");
    const notFactory = await load(good.replace(modulePath, "./not-a-factory.js"), {}, dir);
    expect(!notFactory.ok && notFactory.problems.map(formatProblem)[0]).toMatch(
      /exporters\.custom\/lines\.module: module \.\/not-a-factory\.js does not export a exporter factory/,
    );
  });

  it("publishes a JSON Schema covering every registered component", () => {
    const schema = pipelineJsonSchema(registry) as {
      properties: Record<string, { patternProperties?: object }>;
    };
    for (const type of registry.types("exporter")) {
      expect(Object.keys(schema.properties.exporters?.patternProperties ?? {})).toContain(`^${type}(/.+)?$`);
    }
    expect(schema.properties.service).toBeDefined();
  });
});
