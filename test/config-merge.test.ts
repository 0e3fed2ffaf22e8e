// Several --config sources merged like the OpenTelemetry Collector's confmap (later ones override
// key by key, maps merge deeply, lists are replaced), --set key::path=value on top; every problem
// still names the file (or flag), line and key the value came from.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { formatProblem } from "../src/config/errors.ts";
import { loadConfigInputs, type ResolvedConfig } from "../src/config/load.ts";
import { Registry } from "../src/registry.ts";

const registry = new Registry();
let dir: string;

const BASE = `receivers:
  otlp: {}
processors:
  threshold/health:
    metric: pipeline.health.score
    where: { service.name: scraper }
    op: below
    threshold: 30
  throttle:
    window: 300
    max_per_window: 10
exporters:
  console: {}
service:
  pipelines:
    alerts:
      receivers: [otlp]
      processors: [threshold/health, throttle]
      exporters: [console]
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "alertpipe-merge-"));
  await writeFile(join(dir, "base.yaml"), BASE);
  await writeFile(
    join(dir, "prod.yaml"),
    `processors:
  throttle:
    max_per_window: 5
  cooldown:
    default: 10m
service:
  pipelines:
    alerts:
      processors: [threshold/health, cooldown, throttle]
`,
  );
  await writeFile(
    join(dir, "bad.yaml"),
    `processors:
  throttle:
    window: ten
    max_per_windw: 5
  threshold/health:
    threshold: \${env:HEALTH_THRESHOLD}
`,
  );
  await mkdir(join(dir, "a"));
  await mkdir(join(dir, "b"));
  await writeFile(join(dir, "a", "pipeline.yaml"), BASE);
  await writeFile(join(dir, "b", "pipeline.yaml"), "processors:\n  throttle:\n    window: -1\n");
});

async function load(configs: string[], sets: string[] = [], env: Record<string, string> = {}) {
  return loadConfigInputs({ configs, sets, cwd: dir }, { env, registry });
}
async function loaded(configs: string[], sets: string[] = [], env: Record<string, string> = {}) {
  const result = await load(configs, sets, env);
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join("\n"));
  return result.config;
}
async function problems(configs: string[], sets: string[] = [], env: Record<string, string> = {}) {
  const result = await load(configs, sets, env);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.problems.map(formatProblem);
}
const configOf = (config: ResolvedConfig, key: string) =>
  config.components.get(key)?.config as Record<string, unknown>;

describe("--config, several files", () => {
  it("later files override key by key: maps merge deeply, lists are replaced", async () => {
    const config = await loaded(["base.yaml", "prod.yaml"]);
    expect(configOf(config, "processors:throttle")).toMatchObject({ window: 300, max_per_window: 5 });
    expect(configOf(config, "processors:cooldown")).toMatchObject({ default: 10 });
    expect(configOf(config, "processors:threshold/health")).toMatchObject({ threshold: 30 });
    expect(config.pipelines[0]?.processors).toEqual(["threshold/health", "cooldown", "throttle"]);
    expect(config.pipelines[0]?.receivers).toEqual(["otlp"]);
    expect(config.file).toBe("base.yaml + prod.yaml");
    expect(config.sources?.map((s) => s.label)).toEqual(["base.yaml", "prod.yaml"]);
  });

  it("an error names the file, line and key the value came from", async () => {
    expect(await problems(["base.yaml", "bad.yaml"], [], {})).toEqual([
      'bad.yaml:3:13 processors.throttle.window: expected a positive number of seconds or a duration (e.g. 30s, 5m, 1h30m), got "ten"',
      "bad.yaml:4:5 processors.throttle.max_per_windw: unknown key",
      "bad.yaml:6:16 processors.threshold/health.threshold: environment variable HEALTH_THRESHOLD is not set and has no default",
    ]);
    expect(await problems(["base.yaml", "bad.yaml"], [], { HEALTH_THRESHOLD: "low" })).toContain(
      'bad.yaml:6:16 processors.threshold/health.threshold: expected a number, got "low" (from ${env:HEALTH_THRESHOLD})',
    );
  });

  it("two files of one name are told apart by their paths; a missing file is named", async () => {
    expect(await problems(["a/pipeline.yaml", "b/pipeline.yaml"])).toEqual([
      "b/pipeline.yaml:3:13 processors.throttle.window: expected a positive number of seconds or a duration (e.g. 30s, 5m, 1h30m), got -1",
    ]);
    expect(await problems(["base.yaml", "nope.yaml"])).toEqual(["nope.yaml file not found"]);
  });

  it("reads the Collector's providers: file:, env: and yaml: (with :: key paths); refuses others", async () => {
    const config = await loaded(
      ["file:base.yaml", "env:EXTRA", "yaml:processors::throttle::window: 1m"],
      [],
      { EXTRA: "processors:\n  throttle:\n    max_per_window: 3\n" },
    );
    expect(configOf(config, "processors:throttle")).toMatchObject({ window: 60, max_per_window: 3 });
    expect(await problems(["base.yaml", "env:MISSING"])).toEqual([
      "--config env:MISSING: environment variable MISSING is not set",
    ]);
    expect(await problems(["base.yaml", "https://example.com/pipeline.yaml"])).toEqual([
      '--config: unsupported config provider "https:" (give a file path, file:PATH, env:VAR or yaml:…)',
    ]);
  });

  it("relative paths resolve against the file that wrote them", async () => {
    await writeFile(join(dir, "b", "capture.yaml"), "exporters:\n  file:\n    path: out.jsonl\n");
    const config = await loaded(["base.yaml", "b/capture.yaml"]);
    expect(config.configDir).toBe(dir);
    expect(config.components.get("exporters:file")?.configDir).toBe(join(dir, "b"));
    expect(config.components.get("exporters:console")?.configDir).toBeUndefined();
  });
});

describe("--set", () => {
  it("sets one key, the Collector's way (::) or dotted, the value read as YAML", async () => {
    const config = await loaded(
      ["base.yaml"],
      [
        "processors::throttle::max_per_window=5",
        "processors.throttle.window=2m",
        "processors.threshold/health.where.service.name=api",
        "service::pipelines::alerts::processors=[threshold/health]",
      ],
    );
    expect(configOf(config, "processors:throttle")).toMatchObject({ window: 120, max_per_window: 5 });
    expect(configOf(config, "processors:threshold/health").where).toEqual({ "service.name": "api" });
    expect(config.pipelines[0]?.processors).toEqual(["threshold/health"]);
  });

  it("is applied after every --config file, in order; maps in a value merge like a file", async () => {
    const config = await loaded(
      ["base.yaml", "prod.yaml"],
      ["processors::throttle={window: 90s}", "processors::throttle::max_per_window=7"],
    );
    expect(configOf(config, "processors:throttle")).toMatchObject({ window: 90, max_per_window: 7 });
  });

  it("a bad value names the flag (not a line), with the variable it came from", async () => {
    expect(await problems(["base.yaml"], ["processors::throttle::max_per_window=ten"])).toEqual([
      '--set processors::throttle::max_per_window: expected a positive integer, got "ten"',
    ]);
    expect(
      await problems(["base.yaml"], ["processors::throttle::window=${env:WINDOW}"], { WINDOW: "soon" }),
    ).toEqual([
      '--set processors::throttle::window: expected a positive number of seconds or a duration (e.g. 30s, 5m, 1h30m), got "soon" (from ${env:WINDOW})',
    ]);
    expect(await problems(["base.yaml"], ["processors::throttle={windw: 5}"])).toEqual([
      "--set processors::throttle processors.throttle.windw: unknown key",
    ]);
  });

  it("refuses a malformed flag and an ambiguous dotted key", async () => {
    expect(await problems(["base.yaml"], ["processors::throttle::window"])).toEqual([
      "--set processors::throttle::window: expected key=value (e.g. processors::throttle::window=60s)",
    ]);
    expect(await problems(["base.yaml"], ["processors::::window=1"])).toEqual([
      '--set processors::::window: "processors::::window" has an empty key in it (write a::b::c, e.g. processors::throttle::window)',
    ]);
    const twoKeys = [
      "base.yaml",
      "yaml:processors::threshold/health::where: { service: a, service.name: b }",
    ];
    expect(await problems(twoKeys, ["processors.threshold/health.where.service.name=c"])).toEqual([
      expect.stringMatching(
        /^--set processors\.threshold\/health\.where\.service\.name: .* is ambiguous: "service" and "service\.name" are both keys there \(write the path with ::/,
      ),
    ]);
    // The same with :: is exact.
    const config = await loaded(twoKeys, ["processors::threshold/health::where::service.name=c"]);
    expect(configOf(config, "processors:threshold/health").where).toEqual({
      service: "a",
      "service.name": "c",
    });
  });
});
