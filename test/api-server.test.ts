// The operating API's server: reads open, mutations behind the bearer token (401 with
// WWW-Authenticate), bodies bounded (413) and validated (400 naming the field), /healthz and
// /status as before, the token never shown, and a warning when bound beyond loopback without one.
import { afterEach, describe, expect, it } from "vitest";
import { bearerAuth } from "../src/api/auth.ts";
import { isLoopback } from "../src/api/server.ts";
import { createLogger } from "../src/log.ts";
import { startAlertPipeline } from "../src/service.ts";
import { type ApiHarness, pipelineYaml, silenceBody, startApi, TOKEN } from "./support/api.ts";
import { captureLogger } from "./support/capture-logger.ts";

let api: ApiHarness | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe("auth on mutating calls", () => {
  it("needs the bearer token for silences and posted alerts; reads stay open", async () => {
    api = await startApi({ token: TOKEN });
    const body = silenceBody({ alertname: "system_health" });
    const none = await api.request("POST", "/api/v2/silences", body);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await none.json()).toMatchObject({ code: 401 });
    const wrong = await api.request("POST", "/api/v2/silences", body, {
      authorization: "Bearer nope-nope-nope",
    });
    expect(wrong.status).toBe(401);
    const basic = await api.request("POST", "/api/v2/silences", body, { authorization: `Basic ${TOKEN}` });
    expect(basic.status).toBe(401);
    expect((await api.request("POST", "/api/v2/alerts", [])).status).toBe(401);
    expect((await api.request("DELETE", "/api/v2/silence/x")).status).toBe(401);

    expect((await api.send("POST", "/api/v2/silences", body)).status).toBe(200);
    for (const path of ["/healthz", "/status", "/api/v2/status", "/api/v2/alerts", "/api/v2/silences"]) {
      expect((await api.request("GET", path)).status, path).toBe(200);
    }
  });

  it("leaves mutations open without a token", async () => {
    api = await startApi();
    expect((await api.request("POST", "/api/v2/silences", silenceBody({ alertname: "x" }))).status).toBe(200);
  });

  it("compares tokens whole: a prefix or a longer token is refused", () => {
    const check = bearerAuth(TOKEN);
    expect(() => check({ authorization: `Bearer ${TOKEN}` })).not.toThrow();
    expect(() => check({ authorization: `Bearer ${TOKEN.slice(0, -1)}` })).toThrow(/invalid bearer token/);
    expect(() => check({ authorization: `Bearer ${TOKEN}x` })).toThrow(/invalid bearer token/);
    expect(() => check({})).toThrow(/needs Authorization/);
  });
});

describe("request bodies", () => {
  it("over the limit answer 413", async () => {
    api = await startApi({ token: TOKEN, status: "    max_request_body_size: 2048" });
    const alerts = Array.from({ length: 50 }, (_, i) => ({
      labels: { alertname: `a${i}`, pad: "x".repeat(50) },
    }));
    const res = await api.send("POST", "/api/v2/alerts", alerts);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ code: 413, message: "request body over 2048 bytes" });
  });

  it("that do not validate answer 400 naming the field, in Alertmanager's {code, message} shape", async () => {
    api = await startApi({ token: TOKEN });
    const missing = await api.send("POST", "/api/v2/silences", { matchers: [{ name: "a", value: "b" }] });
    expect(missing.status).toBe(400);
    const { message } = (await missing.json()) as { message: string };
    expect(message).toContain("matchers.0.isRegex in body is required");
    expect(message).toContain("endsAt in body is required");
    const badDate = await api.send("POST", "/api/v2/silences", {
      ...silenceBody({ a: "b" }),
      endsAt: "tomorrow",
    });
    expect(((await badDate.json()) as { message: string }).message).toBe(
      "endsAt in body: expected an RFC 3339 date-time",
    );
    const label = await api.send("POST", "/api/v2/alerts", [{ labels: { alertname: "x", n: 5 } }]);
    expect(((await label.json()) as { message: string }).message).toBe(
      "alerts.0.labels.n in body: expected a string label value",
    );
    const notJson = await api.send("POST", "/api/v2/alerts", "{");
    expect(notJson.status).toBe(400);
    const form = await api.request("POST", "/api/v2/alerts", "[]", {
      authorization: `Bearer ${TOKEN}`,
      "content-type": "text/plain",
    });
    expect(form.status).toBe(415);
  });
});

describe("the status endpoint", () => {
  it("keeps /healthz and /status, answers 404 and 405, and never shows the token", async () => {
    api = await startApi({ token: TOKEN });
    expect(await api.json("/healthz")).toMatchObject({ status: "Server available" });
    const statusText = await (await api.request("GET", "/status")).text();
    expect(JSON.parse(statusText)).toMatchObject({ status: "ok", clients: { slack_configured: true } });
    const amStatus = await (await api.request("GET", "/api/v2/status")).text();
    for (const text of [statusText, amStatus]) expect(text).not.toContain(TOKEN);
    expect(JSON.parse(amStatus)).toMatchObject({
      cluster: { status: "disabled", peers: [] },
      versionInfo: { version: expect.any(String), goVersion: expect.stringMatching(/^node /) },
      config: { original: expect.stringContaining("inline") },
    });
    expect(await api.json("/api/v2/receivers")).toEqual([{ name: "slack" }]);
    const missing = await api.request("GET", "/nope");
    expect(missing.status).toBe(404);
    const wrongMethod = await api.send("PUT", "/status");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");
    expect((await api.request("HEAD", "/healthz")).status).toBe(200);
  });

  it("warns when bound beyond loopback without a token, and never logs a token", async () => {
    const { logger, lines } = captureLogger("info");
    const open = await startAlertPipeline({
      configText: pipelineYaml("http://127.0.0.1:9/hook").replace(
        'endpoint: "127.0.0.1:0"\n    auth',
        'endpoint: "0.0.0.0:0"\n    auth',
      ),
      env: {},
      logger,
    });
    await open.shutdown();
    expect(lines.some((l) => l.includes("without a token") && l.includes('"level":40'))).toBe(true);

    // The process logger (secret redaction included), writing into memory.
    const quietLines: string[] = [];
    const quiet = createLogger({
      level: "debug",
      destination: { write: (line: string) => quietLines.push(line) },
    });
    const guarded = await startAlertPipeline({
      configText: pipelineYaml("http://127.0.0.1:9/hook", { token: TOKEN }).replace(
        'endpoint: "127.0.0.1:0"\n    auth',
        'endpoint: "0.0.0.0:0"\n    auth',
      ),
      env: {},
      logger: quiet,
    });
    const port = guarded.statusAddress()?.port;
    await fetch(`http://127.0.0.1:${port}/api/v2/silences`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(silenceBody({ alertname: TOKEN })),
    });
    await guarded.shutdown();
    expect(quietLines.some((l) => l.includes("without a token"))).toBe(false);
    expect(quietLines.join("\n")).not.toContain(TOKEN);
  });

  it("tells loopback addresses from the others", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost", "::ffff:127.0.0.1"])
      expect(isLoopback(host)).toBe(true);
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "192.168.1.1"]) expect(isLoopback(host)).toBe(false);
  });
});
