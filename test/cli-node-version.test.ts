// The published bin (the build's dist/src/cli.js, installed beside its node_modules) under a Node
// older than 22.12 — the machine's system Node: every command says so in one line and exits 2,
// instead of dying on `node:sqlite`. The same build runs its commands on Node 22.
import { execFile, spawnSync } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, REPO_ROOT } from "./support/cli.ts";

const run = promisify(execFile);

/** A `node` on PATH (not the repository's own Node 22 under node_modules) older than 22.12. */
function olderNode(): { path: string; version: string } | undefined {
  const found = spawnSync("which", ["-a", "node"], { encoding: "utf8" }).stdout.split("\n");
  for (const path of found.filter((p) => p !== "" && !p.includes("node_modules"))) {
    const version = spawnSync(path, ["--version"], { encoding: "utf8" }).stdout.trim();
    const [major = 0, minor = 0] = version.replace(/^v/, "").split(".").map(Number);
    if (major < 22 || (major === 22 && minor < 12)) return { path, version };
  }
  return undefined;
}

const old = olderNode();
if (!old && process.env.CI === "true") {
  throw new Error(
    "CI=true but no Node.js older than 22.12 is on PATH: this test needs one (e.g. /usr/bin/node 20)",
  );
}

// Skipped only on a developer machine without an older Node; under CI=true the check above throws.
describe.skipIf(!old)("alertpipe on an older Node.js", () => {
  let root = "";
  const bin = () => join(root, "dist/src/cli.js");

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "alertpipe-package-"));
    const tsc = join(REPO_ROOT, "node_modules/typescript/bin/tsc");
    const outDir = join(root, "dist");
    await run(
      process.execPath,
      [
        tsc,
        "-p",
        "tsconfig.build.json",
        "--outDir",
        outDir,
        "--declaration",
        "false",
        "--sourceMap",
        "false",
      ],
      {
        cwd: REPO_ROOT,
      },
    );
    for (const file of ["package.json", "pipeline.yaml", "pipeline.schema.json"]) {
      await copyFile(join(REPO_ROOT, file), join(root, file));
    }
    await symlink(join(REPO_ROOT, "node_modules"), join(root, "node_modules"), "dir");
  }, 120_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("every command says in one line that it needs Node ≥ 22.12 and which it found, exit 2", () => {
    for (const args of [
      ["run"],
      ["validate", "pipeline.yaml"],
      ["schema"],
      ["test-alert"],
      ["--version"],
      [],
    ]) {
      // The default state store (SQLite) is what used to fail: `No such built-in module: node:sqlite`.
      const { ALERTPIPE_STATE: _, ...env } = cleanEnv();
      const result = spawnSync(old?.path ?? "", [bin(), ...args], {
        cwd: root,
        env,
        timeout: 30_000,
        encoding: "utf8",
      });
      expect({ args, status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
        args,
        status: 2,
        stdout: "",
        stderr: `alertpipe: needs Node.js ≥ 22.12, found ${old?.version}\n`,
      });
    }
  });

  it("the minimum is the one package.json promises, and the same build works on Node 22", async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as {
      version: string;
      engines: { node: string };
      bin: { alertpipe: string };
    };
    expect(pkg.engines.node).toBe(">=22.12");
    expect(pkg.bin.alertpipe).toBe("dist/src/cli.js");
    const version = await run(process.execPath, [bin(), "--version"], { cwd: root, env: cleanEnv() });
    expect(version.stdout).toBe(`${pkg.version}\n`);
    const validate = await run(process.execPath, [bin(), "validate", "pipeline.yaml"], {
      cwd: root,
      env: cleanEnv(),
    });
    expect(validate.stdout).toMatch(/pipeline\.yaml: valid/);
  });
});
