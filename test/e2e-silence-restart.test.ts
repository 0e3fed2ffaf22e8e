// `alertpipe run` on SQLite state, restarted: the silence added before the restart is still there
// and still mutes a breach after it; expiring it then delivers the breach.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type FakeSlack, startFakeSlack } from "./support/fake-slack.ts";
import { OPERATOR_TOKEN, type Operated, startOperated } from "./support/operated.ts";

const auth = { authorization: `Bearer ${OPERATOR_TOKEN}`, "content-type": "application/json" };

describe("a silence across a restart on SQLite", () => {
  const dir = mkdtempSync(join(tmpdir(), "alertpipe-silence-restart-"));
  const state = `sqlite:${join(dir, "state.db")}`;
  let slack: FakeSlack;
  let op: Operated | undefined;

  afterAll(async () => {
    await op?.stop();
    await slack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps muting after the restart and delivers once expired", async () => {
    slack = await startFakeSlack();
    const first = await startOperated({ ALERTPIPE_STATE: state }, slack);
    const now = Date.now();
    const res = await fetch(`${first.api}/api/v2/silences`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        matchers: [{ name: "service_name", value: "svc-x", isRegex: false, isEqual: true }],
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
        createdBy: "ops",
        comment: "migration",
      }),
    });
    const { silenceID } = (await res.json()) as { silenceID: string };
    expect(await first.stop()).toBe(0);

    op = await startOperated({ ALERTPIPE_STATE: state }, slack);
    const listed = (await (await fetch(`${op.api}/api/v2/silences`)).json()) as Array<{
      id: string;
      status: { state: string };
      comment: string;
    }>;
    expect(listed).toMatchObject([{ id: silenceID, status: { state: "active" }, comment: "migration" }]);

    await op.health({ "svc-x": 5 });
    await expect
      .poll(async () => {
        const alerts = (await (await fetch(`${op?.api}/api/v2/alerts`)).json()) as Array<{
          status: { state: string };
        }>;
        return alerts.map((a) => a.status.state);
      })
      .toEqual(["suppressed"]);
    await new Promise((r) => setTimeout(r, 500));
    expect(op.texts()).toEqual([]);

    expect(
      (await fetch(`${op.api}/api/v2/silence/${silenceID}`, { method: "DELETE", headers: auth })).status,
    ).toBe(200);
    await expect.poll(() => op?.texts().length, { timeout: 15_000 }).toBe(1);
    expect(op.texts()[0]).toMatch(/FIRING.*system_health.*svc-x/);
  }, 90_000);
});
