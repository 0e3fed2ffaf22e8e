// Spawn the real CLI (node src/cli.ts) and read its output, for end-to-end tests.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

export interface CliRun {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolve with the first stdout/stderr text matching `pattern`; reject after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number, stream?: "stdout" | "stderr"): Promise<RegExpMatchArray>;
  /** SIGTERM (or the given signal) and the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited(): Promise<number | null>;
}

/** Environment for a child CLI: no inherited Slack/Sentry/alert settings unless given. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(SLACK_|SENTRY_|ALERT_|ALERTPIPE_|METRICS_)/.test(k)) continue;
    env[k] = v;
  }
  return {
    ...env,
    ALERTPIPE_STATUS_ENDPOINT: "127.0.0.1:0",
    ALERTPIPE_OTLP_ENDPOINT: "127.0.0.1:0",
    ALERTPIPE_STATE: "memory",
    ...extra,
  };
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = cleanEnv(), cwd = REPO_ROOT): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of waiters) w();
  };
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
    poke();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
    poke();
  });
  const exit = once(child, "exit").then(([code]) => code as number | null);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, timeoutMs = 15_000, stream) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const text = stream === "stdout" ? out : stream === "stderr" ? err : `${out}\n${err}`;
          const match = text.match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const onExit = () => {
          check();
          cleanup();
          reject(new Error(`CLI exited before ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off("exit", onExit);
        };
        waiters.add(check);
        child.once("exit", onExit);
        check();
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
    exited: () => exit,
  };
}

/** Run a CLI command to completion. */
export async function runCli(
  args: string[],
  env?: NodeJS.ProcessEnv,
  cwd?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startCli(args, env, cwd);
  const code = await run.exited();
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}
