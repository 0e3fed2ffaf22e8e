// A real full disk under `alertpipe run`: the SQLite state lives on a small tmpfs that fills up
// while 30 alerts arrive and Slack answers 503. The collector says so (degraded, the reason, an
// error naming the file and code, /-/ready answering 503), keeps the alerts in memory, writes
// them once space is freed; after kill -9 and a restart every one of them is delivered.
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  e2eResources,
  hostNames,
  hostsIn,
  startCollector,
  storedHosts,
  waitUntil,
} from "./support/collector.ts";
import { replies, startFakeSlack } from "./support/fake-slack.ts";

const { running, cleanups } = e2eResources();

/** A 4 MB tmpfs, or undefined where mounting is not allowed (then CI=true fails loudly). */
function smallDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), "alertpipe-disk-"));
  const mountpoint = join(dir, "disk");
  mkdirSync(mountpoint);
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountpoint], { stdio: "pipe" });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    if (process.env.CI === "true") throw new Error(`CI=true but a tmpfs cannot be mounted: ${error}`);
    return undefined;
  }
  cleanups.push(() => {
    execFileSync("umount", ["-l", mountpoint]);
    rmSync(dir, { recursive: true, force: true });
  });
  return mountpoint;
}

/** Fill the disk: append to a filler file until the kernel answers ENOSPC. */
function fillDisk(filler: string): void {
  for (const size of [1 << 16, 4096, 512]) {
    try {
      for (;;) appendFileSync(filler, Buffer.alloc(size));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
    }
  }
}

describe("e2e: the state disk fills up (SQLite on a tmpfs)", () => {
  it("reports it, keeps the alerts, saves them when space is freed, delivers them after kill -9", async (context) => {
    const disk = smallDisk();
    if (!disk) return context.skip();
    const statePath = join(disk, "state.db");
    const filler = join(disk, "filler");
    const slack = await startFakeSlack();
    cleanups.push(() => slack.close());
    slack.behave(() => replies.unavailable);
    const env = { ALERTPIPE_STATE: `sqlite:${statePath}`, SLACK_WEBHOOK_URL: slack.webhookUrl() };
    const first = await startCollector(env);
    running.push(first);

    fillDisk(filler);
    const hosts = hostNames(30);
    for (let i = 0; i < hosts.length; i += 5) await first.postHealth(hosts.slice(i, i + 5), 10);
    await waitUntil(
      async () => (await first.status()).state.degraded,
      15_000,
      () => "the collector never reported the full disk",
    );
    const degraded = (await first.status()).state as Record<string, unknown>;
    expect(degraded.unsaved).toBeGreaterThan(0);
    expect(degraded.degraded_reason).toMatch(new RegExp(`^cannot write ${statePath}: SQLITE_FULL \\(13\\)`));
    expect(degraded.degraded_since_ms).toBeGreaterThan(0);
    const errors = first.cli
      .stderr()
      .split("\n")
      .concat(first.cli.stdout().split("\n"))
      .filter((line) => line.includes("state store cannot write"));
    expect(errors).toHaveLength(1);
    expect(JSON.parse(errors[0] as string)).toMatchObject({
      level: 50,
      path: statePath,
      code: "SQLITE_FULL",
    });
    expect(first.cli.stderr() + first.cli.stdout()).not.toContain("cannot rollback");
    // Readiness says it too (alive all along): a load balancer sends the scrapers elsewhere.
    const probe = (path: string) => fetch(first.statusUrl.replace(/\/status$/, path));
    const notReady = await probe("/-/ready");
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({
      status: "Server not available",
      reason: expect.stringContaining(`cannot write ${statePath}: SQLITE_FULL`),
    });
    expect((await probe("/-/healthy")).status).toBe(200);

    // Space comes back: the alerts held in memory reach the file, and the store is healthy again.
    rmSync(filler);
    await waitUntil(
      async () => !(await first.status()).state.degraded && new Set(storedHosts(statePath)).size === 30,
      15_000,
      () => `stored ${new Set(storedHosts(statePath)).size}/30`,
    );
    expect(first.cli.stderr() + first.cli.stdout()).toContain("state store writable again");
    // Slack still fails, but within its retry time: ready again.
    expect((await probe("/-/ready")).status).toBe(200);

    first.cli.child.kill("SIGKILL");
    await first.cli.exited();
    slack.behave(() => replies.ok);
    const second = await startCollector(env);
    running.push(second);
    const seen = () => new Set(slack.delivered().flatMap(hostsIn));
    await waitUntil(
      () => seen().size === 30,
      20_000,
      () => `delivered ${seen().size}/30`,
    );
    expect([...seen()].sort()).toEqual(hosts);
    expect((await second.status()).state).toMatchObject({ backend: "sqlite", degraded: false });
  }, 60_000);
});
