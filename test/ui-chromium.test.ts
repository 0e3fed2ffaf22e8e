// The web view in a real headless Chromium (Debian's, driven by playwright-core): firing alerts
// with their values, labels and state; a silence added from the page with the bearer token (the
// alert then listed as silenced, its next notice muted on the timeline), then expired; label
// values that carry markup stay text; no console error. Saves test-results/ui.png.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiHarness, postHealth, startApi, TOKEN } from "./support/api.ts";
import { requireBinary } from "./support/binaries.ts";

const CHROMIUM = requireBinary("chromium", "chromium");
const SHOTS = join(process.cwd(), "test-results");
const XSS = '<img src=x onerror="window.__xss=1">';

const diskFull = (service: string) => ({
  labels: { alertname: "DiskFull", severity: "warning", service_name: service, mountpoint: "/var/lib/db" },
  annotations: {
    summary: `disk 97 % full on ${service}`,
    value: "97",
    runbook_url: "https://runbooks.example/disk",
  },
  startsAt: new Date(Date.now() - 120_000).toISOString(),
});

describe.skipIf(!CHROMIUM)("the web view in Chromium", () => {
  let api: ApiHarness;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    // Three messages per window: the fourth alert is held by the throttle.
    api = await startApi({ token: TOKEN, maxPerWindow: 3 });
    await postHealth(api, { "svc-checkout": 12, "svc-x": 8, [XSS]: 20 });
    for (let i = 0; api.texts().length < 3; i++) {
      if (i > 200) throw new Error(`Slack got ${api.texts().length} of 3 messages`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await api.send("POST", "/api/v2/alerts", [diskFull("svc-db")])).status).toBe(200);
    browser = await chromium.launch({
      executablePath: CHROMIUM as string,
      args: [
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
      ],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("dialog", (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    // Nothing may come from anywhere but alertpipe itself.
    page.on("request", (r) => {
      if (!r.url().startsWith(api.url)) problems.push(`external request: ${r.url()}`);
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it("shows what fires, adds a silence with the token, lists the alert as silenced, expires it", async () => {
    const res = await page.goto(`${api.url}/ui`);
    expect(page.url()).toBe(`${api.url}/ui/`);
    expect(res?.headers()["content-security-policy"]).toMatch(/default-src 'none'; script-src 'self'/);

    const rows = page.locator("#alerts tbody tr");
    await expect.poll(() => rows.count()).toBe(4);
    const checkout = page.locator("tr.alert", { hasText: "svc-checkout" });
    expect(await checkout.locator(".value b").textContent()).toBe("12");
    expect(await checkout.locator(".value").textContent()).toContain("threshold < 30");
    expect(await checkout.locator(".state").textContent()).toMatch(
      /notified.*cooldown · \d+m( \d+s)? left.*escalates in 1[45]m/s,
    );
    const held = page.locator("tr.alert", { hasText: "DiskFull" });
    expect(await held.locator(".state").textContent()).toMatch(/held by throttle · digest in/);
    expect(await held.locator(".labels").textContent()).toContain("mountpoint=/var/lib/db");
    // The label with markup is shown as text, never parsed.
    expect(await page.locator("#alerts").textContent()).toContain(XSS);
    expect(await page.locator("img").count()).toBe(0);

    // Silence svc-x from its row: the form is filled with the alert's labels.
    await page.fill("#token", TOKEN);
    await page.locator("tr.alert", { hasText: "svc-x" }).getByRole("button", { name: "Silence…" }).click();
    expect(await page.inputValue("#matchers")).toBe('alertname="system_health", service_name="svc-x"');
    await page.fill("#matchers", 'service_name="svc-x"');
    await page.fill("#created-by", "ops@example.com");
    await page.fill("#comment", "db maintenance");
    await page.getByRole("button", { name: "Create silence" }).click();
    await expect.poll(() => page.textContent("#form-status")).toMatch(/^silence [0-9a-f-]{36} created$/);

    const silence = page.locator("#silences tr.silence.active");
    await expect.poll(() => silence.count()).toBe(1);
    expect(await silence.textContent()).toMatch(
      /service_name="svc-x".*ends in (59m|1h).*db maintenance.*by ops@example\.com/s,
    );
    const silenced = page.locator("tr.alert", { hasText: "svc-x" }).locator(".badge.silenced");
    expect(await silenced.textContent()).toBe("silenced");
    const listed = (
      await api.json<Array<{ id: string; status: { state: string } }>>("/api/v2/silences")
    ).filter((s) => s.status.state === "active");
    expect(listed).toHaveLength(1);

    // The next notice for svc-x is muted: the timeline says so.
    expect((await api.send("POST", "/api/v2/alerts", [diskFull("svc-x")])).status).toBe(200);
    await page.reload();
    const muted = page.locator("table.timeline tr", { hasText: "muted" });
    await expect.poll(() => muted.count()).toBe(1);
    expect(await muted.textContent()).toContain("DiskFull");
    expect(await page.locator("table.timeline").textContent()).toMatch(/sent.*system_health.*firing/s);
    expect(await page.locator("#delivery").textContent()).toMatch(/slack.*ok/s);
    expect(await page.locator("#ready").textContent()).toBe("ready");

    mkdirSync(SHOTS, { recursive: true });
    const shot = join(SHOTS, "ui.png");
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`web view screenshot: ${shot}`);

    // Expire it from the page (token kept in sessionStorage across the reload).
    expect(await page.inputValue("#token")).toBe(TOKEN);
    await silence.getByRole("button", { name: "Expire" }).click();
    await expect.poll(() => page.textContent("#form-status")).toMatch(/expired$/);
    await expect.poll(() => page.locator("#silences tr.silence.active").count()).toBe(0);
    expect(await page.locator("#silences details summary").textContent()).toBe("1 expired (kept 120 h)");
    expect(await page.locator("tr.alert", { hasText: "svc-x" }).locator(".badge.silenced").count()).toBe(0);
    const state = await api.json<Array<{ status: { state: string } }>>("/api/v2/silences");
    expect(state.map((s) => s.status.state)).toEqual(["expired"]);
    await page.screenshot({ path: join(SHOTS, "ui-expired.png"), fullPage: true });

    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    expect(problems).toEqual([]);
  }, 60_000);

  it("says why a mutation was refused (no token)", async () => {
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    expect(await page.inputValue("#token")).toBe("");
    await page.fill("#matchers", 'service_name="svc-checkout"');
    await page.fill("#created-by", "ops");
    await page.fill("#comment", "no token");
    await page.getByRole("button", { name: "Create silence" }).click();
    await expect.poll(() => page.textContent("#form-status")).toMatch(/^401: .*enter the API token/);
    expect(await page.locator("#silences tr.silence.active").count()).toBe(0);
    // The browser logs the 401 response itself; nothing else went wrong.
    expect(problems.filter((p) => !p.includes("401"))).toEqual([]);
  }, 30_000);
});
