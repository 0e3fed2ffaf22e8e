// The real amtool (prometheus-alertmanager's client) against `alertpipe run`, token included: it adds,
// lists and expires silences and queries alerts; a silenced OTLP breach never reaches Slack, and
// expiring the silence delivers it at once. The session is saved as a transcript.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBinary } from "./support/binaries.ts";
import { OPERATOR_TOKEN, type Operated, startOperated } from "./support/operated.ts";

const AMTOOL = requireBinary("amtool", "prometheus-alertmanager");
export const TRANSCRIPT = join(tmpdir(), "alertpipe-amtool-transcript.txt");

describe.skipIf(!AMTOOL)("amtool against alertpipe", () => {
  let op: Operated;
  let dir: string;
  let httpConfig: string;
  const transcript: string[] = [];

  beforeAll(async () => {
    op = await startOperated();
    dir = mkdtempSync(join(tmpdir(), "alertpipe-amtool-"));
    httpConfig = join(dir, "http.yml");
    writeFileSync(httpConfig, `authorization:\n  type: Bearer\n  credentials: ${OPERATOR_TOKEN}\n`);
  });

  afterAll(async () => {
    writeFileSync(TRANSCRIPT, `${transcript.join("\n")}\n`);
    expect(await op.stop()).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Run amtool, keep the exchange for the transcript (the token file path, never the token). */
  const amtool = (args: string[], auth = true) => {
    const full = [
      `--alertmanager.url=${op.api}`,
      ...(auth ? [`--http.config.file=${httpConfig}`] : []),
      ...args,
    ];
    const run = spawnSync(AMTOOL as string, full, { encoding: "utf8", timeout: 20_000 });
    const shown = ["amtool", ...full.map((a) => (a.includes(" ") ? `'${a}'` : a))].join(" ");
    transcript.push(`$ ${shown.replace(op.api, "http://127.0.0.1:PORT").replace(dir, "$TMP")}`);
    const stderr = run.stderr.replace(/^Warning: amtool version .*\n/m, "");
    const lines = run.stdout.trimEnd().split("\n");
    const stdout = lines.length > 12 ? [...lines.slice(0, 6), `… (${lines.length - 6} more lines)`] : lines;
    transcript.push(...[stdout.join("\n"), stderr.trimEnd()].filter(Boolean));
    return { code: run.status, stdout: run.stdout, stderr };
  };

  let silenceId = "";

  it("adds a silence (with the token; without it the API answers 401)", () => {
    const refused = amtool(["silence", "add", "alertname=system_health", "--comment=no token"], false);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/401|[Uu]nauthorized/);

    const added = amtool([
      "silence",
      "add",
      "alertname=system_health",
      "service_name=svc-x",
      "--duration=1h",
      "--comment=database maintenance",
      "--author=ops",
    ]);
    expect(added.code, added.stderr).toBe(0);
    silenceId = added.stdout.trim();
    expect(silenceId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("lists it", () => {
    const listed = amtool(["silence", "query"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(silenceId);
    expect(listed.stdout).toContain('alertname="system_health"');
    expect(listed.stdout).toContain('service_name="svc-x"');
    expect(listed.stdout).toContain("database maintenance");
    expect(amtool(["silence", "query", "-q", "service_name=svc-x"]).stdout.trim()).toBe(silenceId);
  });

  it("queries alerts: the silenced breach is suppressed and never reaches Slack", async () => {
    await op.health({ "svc-x": 10, "svc-y": 12 });
    await expect.poll(() => op.texts().length, { timeout: 15_000 }).toBe(1);
    expect(op.texts()[0]).toContain("svc-y");

    const active = amtool(["alert", "query"]);
    expect(active.code, active.stderr).toBe(0);
    expect(active.stdout).toMatch(/system_health.*service\.name=svc-y.*active/);
    expect(active.stdout).not.toContain("svc-x");
    const silenced = amtool(["alert", "query", "--silenced"]);
    expect(silenced.stdout).toMatch(/system_health.*service\.name=svc-x.*suppressed/);
    expect(silenced.stdout).not.toContain("svc-y");
    const extended = amtool(["alert", "query", "-o", "extended", "--silenced", "service_name=svc-x"]);
    expect(extended.stdout).toMatch(/alertname="system_health".*service_name="svc-x"/);
    expect(op.texts()).toHaveLength(1);
  });

  it("expires it: what still fires is delivered at once", async () => {
    const expired = amtool(["silence", "expire", silenceId]);
    expect(expired.code, expired.stderr).toBe(0);
    await expect.poll(() => op.texts().length, { timeout: 15_000 }).toBe(2);
    expect(op.texts()[1]).toMatch(/FIRING.*system_health.*svc-x/);
    expect(amtool(["silence", "query"]).stdout).not.toContain(silenceId);
    expect(amtool(["silence", "query", "--expired"]).stdout).toContain(silenceId);
    expect(amtool(["alert", "query", "service_name=svc-x"]).stdout).toMatch(/svc-x.*active/);
  });

  it("reads the status: amtool config show prints the pipeline.yaml", () => {
    const shown = amtool(["config", "show"]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain("pipelines:");
    expect(shown.stdout).not.toContain(OPERATOR_TOKEN);
  });

  it("works the same through the alertpipe CLI clients", async () => {
    const added = await op.client([
      "silence",
      "add",
      "system_health",
      "service.name=svc-y",
      "-d",
      "30m",
      "-c",
      "deploy",
    ]);
    expect(added.code, added.stderr).toBe(0);
    const id = added.stdout.trim();
    const listed = await op.client(["silence", "list"]);
    expect(listed.stdout).toMatch(new RegExp(`${id}.*service\\.name="svc-y".*active.*deploy`));
    const silencedAlerts = await op.client(["alerts", "--silenced"]);
    expect(silencedAlerts.stdout).toMatch(/system_health\s+critical.*suppressed.*service_name=svc-y/);
    const refused = await op.client(["silence", "expire", id], "");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/401/);
    expect((await op.client(["silence", "expire", id])).code).toBe(0);
    expect((await op.client(["silence", "list", "--expired", "-q"])).stdout).toContain(id);
  }, 120_000);
});
