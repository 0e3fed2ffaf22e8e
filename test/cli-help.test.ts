// `alertpipe --help`, `alertpipe help CMD` and `alertpipe CMD --help`: every command with its flags
// and the environment it reads; the variables are the README's, same names, order and defaults.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS, helpText } from "../src/commands/catalog.ts";
import { ENV_VARS } from "../src/commands/env-vars.ts";
import { REPO_ROOT, runCli } from "./support/cli.ts";

/** The README's environment tables: `| \`NAME\` | default | meaning |`. */
async function readmeVariables(): Promise<Array<{ name: string; default: string }>> {
  const readme = await readFile(join(REPO_ROOT, "README.md"), "utf8");
  const section = readme.slice(
    readme.indexOf("## Environment variables"),
    readme.indexOf("## In the scraper"),
  );
  return [...section.matchAll(/^\| `([A-Z0-9_]+)` \| ([^|]+) \|/gm)].map((m) => ({
    name: m[1] as string,
    default: (m[2] as string).trim().replaceAll("`", ""),
  }));
}

describe("alertpipe help", () => {
  it("--help lists every command and every environment variable", async () => {
    const { code, stdout } = await runCli(["--help"]);
    expect(code).toBe(0);
    for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${command.name} +\\S`, "m"));
    for (const v of ENV_VARS) expect(stdout).toContain(`  ${v.name} `);
    const bare = await runCli([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe(stdout);
  });

  it("help CMD and CMD --help print the same usage, flags and environment", {
    timeout: 120_000,
  }, async () => {
    for (const command of COMMANDS) {
      const text = helpText(command.name);
      expect(text).toMatch(new RegExp(`^Usage: alertpipe ${command.name}`));
      for (const [flag] of command.options) expect(text, `${command.name} ${flag}`).toContain(flag);
    }
    // Each way in prints it: a few commands through the real CLI (every module parses -h itself).
    for (const name of ["run", "test", "replay", "silence", "alerts"]) {
      const viaHelp = await runCli(["help", name]);
      const viaFlag = await runCli([name, "--help"]);
      expect(viaHelp.code, name).toBe(0);
      expect(viaFlag.code, name).toBe(0);
      expect(viaHelp.stdout, name).toBe(`${helpText(name)}\n`);
      expect(viaFlag.stdout, name).toBe(viaHelp.stdout);
    }
    const run = (await runCli(["help", "run"])).stdout;
    expect(run).toContain("-c, --config FILE");
    expect(run).toContain("--set KEY=VALUE");
    expect(run).toMatch(/ALERT_THROTTLE_WINDOW +seconds or a duration/);
    expect(run).toMatch(/ALERTPIPE_STATE +state store/);
    expect(run).not.toContain("ALERTPIPE_DISABLED");
    const silence = (await runCli(["silence", "-h"])).stdout;
    expect(silence).toContain("ALERTPIPE_STATUS_TOKEN");
    expect(silence).not.toContain("SLACK_WEBHOOK_URL");
    expect(await runCli(["help", "nope"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('no command "nope"'),
    });
  });

  it("every config-reading command takes --config and --set", () => {
    for (const name of ["run", "validate", "test-alert", "test", "replay", "silence", "alerts"]) {
      const options =
        COMMANDS.find((c) => c.name === name)
          ?.options.map(([flag]) => flag)
          .join(" ") ?? "";
      expect(options, name).toMatch(/--config FILE/);
      expect(options, name).toMatch(/--set KEY=VALUE/);
    }
  });

  it("lists the variables of the README's tables, in their order, with their defaults", async () => {
    expect(ENV_VARS.map((v) => ({ name: v.name, default: v.default }))).toEqual(await readmeVariables());
  });
});
