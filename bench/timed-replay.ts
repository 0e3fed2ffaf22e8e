// Replays timed the same way by every replay benchmark: `runs` times in-process, wall and CPU
// seconds of each, and the last run's result; and the whole `alertpipe replay` command once.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ResolvedConfig } from "../src/config/load.ts";
import { type ReplayResult, replay } from "../src/replay/run.ts";

export async function timedReplays(
  file: string,
  config: ResolvedConfig,
  runs: number,
): Promise<{ seconds: number[]; cpuSeconds: number[]; last: ReplayResult | undefined }> {
  const seconds: number[] = [];
  const cpuSeconds: number[] = [];
  let last: ReplayResult | undefined;
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    last = await replay({ files: [file], config, env: {} });
    seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    const used = process.cpuUsage(cpu);
    cpuSeconds.push((used.user + used.system) / 1e6);
  }
  return { seconds, cpuSeconds, last };
}

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));

/** Wall seconds of `alertpipe replay ARGS --output json` (Node's start included), output discarded. */
export function timedCliReplay(args: readonly string[]): number {
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, [CLI, "replay", ...args, "--output", "json"], {
    env: { PATH: process.env.PATH ?? "" },
    stdio: ["ignore", "ignore", "ignore"],
  });
  return Number(process.hrtime.bigint() - started) / 1e9;
}
