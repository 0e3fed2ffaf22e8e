// `alertpipe run` with a state file it cannot use exits 2 at once with one line naming the file:
// a path under /proc (Node's recursive mkdir spun there forever), a file with a corrupt page.
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStateStore } from "../src/state/sqlite-store.ts";
import { cleanEnv, startCli } from "./support/cli.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Run, kill it if it has not exited after `ms` (the old spin), and give the exit code and stderr. */
async function run(state: string, ms = 15_000): Promise<{ code: number | null; stderr: string }> {
  const cli = startCli(["run"], cleanEnv({ ALERTPIPE_STATE: state }));
  const timer = setTimeout(() => void cli.stop("SIGKILL"), ms);
  const code = await cli.exited();
  clearTimeout(timer);
  return { code, stderr: cli.stderr() };
}

function stateLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.startsWith("alertpipe: "));
}

describe("alertpipe run: an unusable state file", () => {
  it("exits 2 naming a path under /proc", async () => {
    const { code, stderr } = await run("sqlite:/proc/alertpipe/state.db");
    expect(code).toBe(2);
    expect(stateLines(stderr)).toEqual([
      "alertpipe: state file /proc/alertpipe/state.db: cannot create directory /proc/alertpipe (ENOENT) (from ALERTPIPE_STATE)",
    ]);
  }, 30_000);

  it("exits 2 naming a file with a corrupt page", async () => {
    const dir = mkdtempSync(join(tmpdir(), "alertpipe-corrupt-"));
    dirs.push(dir);
    const path = join(dir, "state.db");
    const file = new SqliteStateStore({ path });
    for (let i = 0; i < 300; i++) file.enqueue("slack:default", { text: "y".repeat(300) }, i);
    await file.close();
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 3 * 4096);
    closeSync(fd);
    const { code, stderr } = await run(`sqlite:${path}`);
    expect(code).toBe(2);
    const lines = stateLines(stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^alertpipe: state file ${path}: is corrupt \\(.+\\): restore it`));
  }, 30_000);
});
