// The web view's markup without a browser: every interpolated value escaped, the CSP on the page
// and its script, /ui redirected to /ui/, and a label carrying markup served as text.
import { afterEach, describe, expect, it } from "vitest";
import { escapeHtml, html } from "../src/api/ui/html.ts";
import { type ApiHarness, startApi } from "./support/api.ts";

let api: ApiHarness | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe("web view markup", () => {
  it("escapes every interpolation unless it is markup built the same way", () => {
    const evil = `"><script>alert(1)</script><img src=x onerror='x'>\``;
    expect(escapeHtml(evil)).toBe(
      "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&#39;x&#39;&gt;&#96;",
    );
    const row = html`<td title="${evil}">${evil}</td>`;
    expect(row.toString()).not.toMatch(/<script|<img|"><|onerror='/);
    expect(html`<tr>${[row, row]}</tr>`.toString()).toBe(`<tr>${row}${row}</tr>`);
    expect(html`${undefined}${null}${false}${0}`.toString()).toBe("0");
  });

  it("serves /ui/ with a strict CSP, its script, and labels as text", async () => {
    api = await startApi();
    api.health('<script>alert("x")</script>', 5);
    await expect.poll(() => api?.texts().length, { timeout: 10_000 }).toBe(1);

    const moved = await fetch(`${api.url}/ui`, { redirect: "manual" });
    expect(moved.status).toBe(308);
    expect(moved.headers.get("location")).toBe("/ui/");

    const page = await api.request("GET", "/ui/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(
      /^default-src 'none'; script-src 'self'; style-src 'sha256-[A-Za-z0-9+/=]+'; connect-src 'self'/,
    );
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const text = await page.text();
    expect(text).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    // The only script element is the page's own, from this server.
    expect(text.match(/<script\b[^>]*>/g)).toEqual(['<script src="app.js" defer>']);
    expect(text).not.toMatch(/https?:\/\//);

    const script = await api.request("GET", "/ui/app.js");
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await script.text()).toContain("sessionStorage");
  });
});
