// Which instrumentations register starts (http, undici, pg; OTEL_NODE_*_INSTRUMENTATIONS as in
// auto-instrumentations-node, other names from the app's own dependencies), and when the app's
// OTEL_* exporters are kept.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chooseInstrumentations } from "../src/inproc/instrumentations.ts";
import { appConfiguresExport } from "../src/inproc/sdk-env.ts";

const app = mkdtempSync(join(tmpdir(), "alertpipe-app-"));
const demo = join(app, "node_modules/@opentelemetry/instrumentation-demo");
mkdirSync(demo, { recursive: true });
writeFileSync(
  join(demo, "package.json"),
  JSON.stringify({ name: "@opentelemetry/instrumentation-demo", main: "index.js" }),
);
writeFileSync(
  join(demo, "index.js"),
  "exports.DemoInstrumentation = class DemoInstrumentation { instrumentationName = '@opentelemetry/instrumentation-demo' };\n",
);
afterAll(() => rmSync(app, { recursive: true, force: true }));

const names = async (env: Record<string, string>, configs = {}) =>
  (await chooseInstrumentations({ env, cwd: app, configs })).map((i) => i.instrumentationName);

describe("chooseInstrumentations", () => {
  it("starts http, undici and pg by default", async () => {
    expect(await names({})).toEqual([
      "@opentelemetry/instrumentation-http",
      "@opentelemetry/instrumentation-undici",
      "@opentelemetry/instrumentation-pg",
    ]);
  });

  it("honours OTEL_NODE_ENABLED_INSTRUMENTATIONS and OTEL_NODE_DISABLED_INSTRUMENTATIONS", async () => {
    expect(await names({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: "pg" })).toEqual([
      "@opentelemetry/instrumentation-http",
      "@opentelemetry/instrumentation-undici",
    ]);
    expect(await names({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: " undici " })).toEqual([
      "@opentelemetry/instrumentation-undici",
    ]);
    // An explicit `enabled` in the options wins over the variables.
    expect(
      await names(
        { OTEL_NODE_DISABLED_INSTRUMENTATIONS: "http,pg" },
        { "@opentelemetry/instrumentation-pg": { enabled: true } },
      ),
    ).toEqual(["@opentelemetry/instrumentation-undici", "@opentelemetry/instrumentation-pg"]);
  });

  it("loads an enabled instrumentation alertpipe does not bring from the app's dependencies", async () => {
    expect(await names({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: "http,demo" })).toEqual([
      "@opentelemetry/instrumentation-http",
      "@opentelemetry/instrumentation-demo",
    ]);
  });

  it("names the variable and the package to install when an enabled one is missing", async () => {
    await expect(names({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: "http,kafkajs" })).rejects.toThrow(
      "OTEL_NODE_ENABLED_INSTRUMENTATIONS names kafkajs, but @opentelemetry/instrumentation-kafkajs is not installed (npm install @opentelemetry/instrumentation-kafkajs)",
    );
  });
});

describe("appConfiguresExport", () => {
  it("is true once the app sets an exporter or an exporter setting, as plain NodeSDK reads them", () => {
    expect(appConfiguresExport({})).toBe(false);
    expect(appConfiguresExport({ OTEL_SERVICE_NAME: "scraper", OTEL_TRACES_EXPORTER: " " })).toBe(false);
    expect(appConfiguresExport({ OTEL_TRACES_EXPORTER: "otlp" })).toBe(true);
    expect(appConfiguresExport({ OTEL_METRICS_EXPORTER: "prometheus" })).toBe(true);
    expect(appConfiguresExport({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toBe(true);
    expect(appConfiguresExport({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/v1/traces" })).toBe(true);
  });
});
