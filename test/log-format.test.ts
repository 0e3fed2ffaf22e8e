// The collector's own log lines: readable (pino-pretty) when a person watches a terminal, JSON lines
// when they go to a pipe or file; `service.log.format` forces either. Redaction applies to both.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { requireBinary } from "./support/binaries.ts";
import { cleanEnv, REPO_ROOT, startCli } from "./support/cli.ts";

const SCRIPT = requireBinary("script", "bsdutils");
const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** `alertpipe run …` on a pseudo-terminal (util-linux script), until it says it runs; its output. */
async function runOnTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const command = [process.execPath, CLI, "run", ...args].map(quote).join(" ");
  const child = spawn(SCRIPT as string, ["-qec", command, "/dev/null"], {
    cwd: REPO_ROOT,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const deadline = Date.now() + 20_000;
  while (!out.includes("alertpipe running") && Date.now() < deadline && child.exitCode === null)
    await new Promise((r) => setTimeout(r, 50));
  // script forwards no signal to the collector: a ^C on its terminal stops it, as a person would.
  child.stdin.write("\x03");
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("timeout"), 10_000))]);
  if (code === "timeout") child.kill("SIGKILL");
  return out;
}

describe.skipIf(!SCRIPT)("log format", () => {
  const env = cleanEnv({
    SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T000/B000/verysecretwebhooktoken",
  });

  it("a terminal gets pretty lines, secrets masked", { timeout: 60_000 }, async () => {
    const out = await runOnTerminal(["pipeline.yaml"], env);
    const running = out.split(/\r?\n/).find((l) => l.includes("alertpipe running")) ?? "";
    // [HH:MM:ss.l] INFO: message {fields}, with colour codes around level and message
    expect(stripVTControlCharacters(running)).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: alertpipe running \{"config":"pipeline\.yaml"/,
    );
    expect(out).not.toMatch(/^\{"level"/m);
    expect(out).not.toContain("verysecretwebhooktoken");
  });

  it("service.log.format: json keeps JSON lines on a terminal", { timeout: 60_000 }, async () => {
    const out = await runOnTerminal(["pipeline.yaml", "--set", "service::log::format=json"], env);
    const running = out.split(/\r?\n/).find((l) => l.includes("alertpipe running")) ?? "";
    expect(JSON.parse(running)).toMatchObject({ level: 30, msg: "alertpipe running", name: "alertpipe" });
  });

  it("a pipe gets JSON lines", async () => {
    const cli = startCli(["run", "pipeline.yaml"], env);
    try {
      await cli.waitFor(/alertpipe running/, 20_000, "stderr");
      const lines = cli.stderr().trim().split("\n");
      for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
      expect(lines.map((l) => JSON.parse(l) as { msg: string }).map((l) => l.msg)).toContain(
        "alertpipe running",
      );
      expect(cli.stderr()).not.toContain("verysecretwebhooktoken");
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});
