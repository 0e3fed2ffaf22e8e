// What a start loads: `import "alertpipe"` leaves the OpenTelemetry SDK, the instrumentations,
// ioredis, Sentry and protobufjs unloaded until something uses them; ALERTPIPE_DISABLED=true register loads nothing.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nodeBin, repo } from "./support/scraper-process.ts";

const dir = mkdtempSync(join(tmpdir(), "alertpipe-loads-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loadsOf(args: string[], env: Record<string, string> = {}): string[] {
  const file = join(dir, `loads-${Math.random().toString(36).slice(2)}.txt`);
  execFileSync(
    nodeBin,
    ["--conditions=source", "--import", join(repo, "test/fixtures/trace-loads.mjs"), ...args],
    { cwd: repo, env: { ...process.env, ...env, LOADS_FILE: file }, stdio: "pipe", timeout: 60_000 },
  );
  return readFileSync(file, "utf8").split("\n").filter(Boolean);
}

/** Package names (`@scope/name` or `name`) among the loaded URLs. */
const packagesIn = (urls: string[]) =>
  new Set(urls.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []));

describe("module loads", () => {
  it('import "alertpipe" loads no SDK, instrumentation, Redis client, Sentry or protobuf codec', () => {
    const packages = [...packagesIn(loadsOf(["--input-type=module", "-e", 'await import("alertpipe")']))];
    expect(packages).toContain("rxjs");
    const heavy = packages.filter((p) =>
      /^@opentelemetry\/(sdk-node|instrumentation|exporter-)|^ioredis$|^@sentry\/|^protobufjs$/.test(p),
    );
    expect(heavy).toEqual([]);
  }, 60_000);

  it("ALERTPIPE_DISABLED=true register loads nothing but itself", () => {
    const urls = loadsOf(["--import", "alertpipe/register", "-e", "0"], { ALERTPIPE_DISABLED: "true" });
    const files = urls.filter((u) => u.startsWith("file:") && !u.endsWith("/trace-loads.mjs"));
    expect(files.map((u) => u.slice(u.indexOf("/src/")))).toEqual(["/src/register.ts"]);
  }, 60_000);
});
