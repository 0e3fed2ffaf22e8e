// max_per_window is what the destination receives: the whole pipeline (cooldown ▸ escalation ▸
// throttle ▸ scrub ▸ Slack delivery queue) in virtual time against a local fake Slack that records
// arrival times. Bursts of alerts, resolves, escalations and digests, with Slack answering 503 and
// 429 now and then, never put more than max_per_window messages in any rolling window at Slack, and
// every notice arrives (alone or in a digest). Also: what the throttle holds is logged, once per hold,
// and a shutdown on memory state delivers what is held instead of losing it.
import { VirtualTimeScheduler } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import type { SlackExporter } from "../exporters/slack.ts";
import type { ThrottleProcessor } from "../processors/throttle.ts";
import { type AlertPipelineHandle, startAlertPipeline } from "../src/service.ts";
import type { Alert, Severity } from "../src/signal.ts";
import { captureLogger } from "./support/capture-logger.ts";
import { type FakeSlack, replies, startFakeSlack } from "./support/fake-slack.ts";
import { alert } from "./support/notice-fixtures.ts";
import { accountStorm, busiestWindow, stormHosts } from "./support/storm.ts";
import { driveVirtualTime } from "./support/virtual-time.ts";

const WINDOW_S = 10;
const MAX = 4;

function pipelineYaml(webhookUrl: string, extra = ""): string {
  return `receivers:
  otlp:
    endpoint: 127.0.0.1:0
processors:
  cooldown:
    default: 60
  escalation:
    delay: 0.25
    route: ""
  throttle:
    window: ${WINDOW_S}
    max_per_window: ${MAX}
${extra}  scrub: {}
exporters:
  slack:
    webhook_url: ${webhookUrl}
    environment: test
    initial_backoff: 1
    shutdown_timeout: 3
service:
  status:
    enabled: false
  pipelines:
    alerts:
      receivers: [otlp]
      processors: [cooldown, escalation, throttle, scrub]
      exporters: [slack]
`;
}

interface Rig {
  scheduler: VirtualTimeScheduler;
  slack: FakeSlack;
  pipeline: AlertPipelineHandle;
  queue: SlackExporter["queue"];
  throttle: ThrottleProcessor;
  log: ReturnType<typeof captureLogger>;
}

const open: Rig[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) {
    await r.slack.close();
  }
});

async function rig(extraThrottle = ""): Promise<Rig> {
  const scheduler = new VirtualTimeScheduler();
  const slack = await startFakeSlack(() => scheduler.now());
  const log = captureLogger("info");
  const pipeline = await startAlertPipeline({
    configText: pipelineYaml(slack.webhookUrl(), extraThrottle),
    scheduler,
    logger: log.logger,
    env: {},
    statusServer: false,
  });
  const find = <T>(id: string) =>
    ([...pipeline.graph.exporters, ...pipeline.graph.processors].find((c) => c.id === id)?.instance ??
      undefined) as T;
  const r: Rig = {
    scheduler,
    slack,
    pipeline,
    queue: find<SlackExporter>("slack").queue,
    throttle: find<ThrottleProcessor>("throttle"),
    log,
  };
  open.push(r);
  return r;
}

/** Run virtual time up to `at` (ms), letting real HTTP to the fake Slack finish on the way. */
async function runTo(r: Rig, at: number): Promise<void> {
  r.scheduler.schedule(() => {}, Math.max(0, at - r.scheduler.now()));
  await driveVirtualTime(r.scheduler, {
    busy: () => r.queue.inFlight > 0,
    done: () => r.scheduler.now() >= at,
  });
}

const notice = (rule: string, severity: Severity, status: Alert["status"] = "firing", at = 0): Alert =>
  alert({ rule, fingerprint: `${rule}|host=h`, severity, status, labels: { host: "h" }, startsAt: 0, at });

/** (rule, status) of every notice Slack accepted: alone, or as a digest line. */
function noticesAt(slack: FakeSlack): string[] {
  const seen: string[] = [];
  for (const body of slack.delivered()) {
    const blocks = (
      body.attachments as Array<{ blocks: Array<{ type: string; text?: { text: string } }> }>
    )[0]?.blocks;
    const head = blocks?.[0]?.text?.text ?? "";
    const single = head.match(/(FIRING|RESOLVED|ESCALATED) · \w+ · (burst_\w+)/);
    if (single) {
      seen.push(`${single[2]} ${single[1]}`);
      continue;
    }
    for (const block of blocks ?? []) {
      for (const line of (block.text?.text ?? "").split("\n")) {
        const m = line.match(/\*(burst_\w+)\* · (FIRING|RESOLVED|ESCALATED)/);
        if (m) seen.push(`${m[1]} ${m[2]}`);
      }
    }
  }
  return seen.sort();
}

describe("throttle: max_per_window holds where the messages arrive", () => {
  it("bursts of alerts, resolves, escalations and digests never exceed the limit in any window at Slack", async () => {
    const r = await rig();
    // The first message meets a 503 (retried a second later), a later one a 429 with Retry-After.
    r.slack.behave(({ index }) =>
      index === 0 ? replies.unavailable : index === 6 ? replies.rateLimited(2) : replies.ok,
    );
    const expected: string[] = [];
    const send = (a: Alert) => {
      r.pipeline.submit(a);
      expected.push(`${a.rule} ${a.status.toUpperCase()}`);
    };
    // t=0: ten breaches (six critical: they escalate 15 s later); four go out, six are held.
    for (let i = 0; i < 10; i++) send(notice(`burst_a${i}`, i < 6 ? "critical" : "warning"));
    await runTo(r, 3_000);
    // t=3 s: two resolve (held behind the digest).
    for (const i of [6, 7]) send(notice(`burst_a${i}`, "warning", "resolved", 3_000));
    await runTo(r, 12_000);
    // t=12 s: another burst.
    for (let i = 0; i < 6; i++) send(notice(`burst_b${i}`, "warning", "firing", 12_000));
    for (let i = 0; i < 6; i++) expected.push(`burst_a${i} ESCALATED`);
    await runTo(r, 120_000);
    await driveVirtualTime(r.scheduler, {
      busy: () => r.queue.inFlight > 0,
      done: () => r.queue.pending === 0 && r.throttle.status().held === 0,
    });

    expect(noticesAt(r.slack)).toEqual(expected.sort());
    const arrivals = r.slack.requests.filter((q) => q.reply.status === 200).map((q) => q.at);
    expect(arrivals.length).toBeGreaterThan(MAX);
    expect(busiestWindow(arrivals, WINDOW_S * 1000)).toBeLessThanOrEqual(MAX);
    // Digests went out, and the throttle's own window counts sends: at most MAX in it.
    expect(r.throttle.status().digests_sent).toBeGreaterThan(0);
    expect(r.throttle.status().sent_in_window.default ?? 0).toBeLessThanOrEqual(MAX);
    await shutdown(r);
  });

  it("logs a hold once at info: how many are held and when the digest goes; and the release", async () => {
    const r = await rig();
    for (let i = 0; i < 9; i++) r.pipeline.submit(notice(`burst_c${i}`, "warning"));
    await runTo(r, 1_000);
    for (let i = 0; i < 3; i++) r.pipeline.submit(notice(`burst_d${i}`, "warning", "firing", 1_000));
    await runTo(r, 30_000);
    const records = r.log.records();
    const holds = records.filter((l) => String(l.msg).startsWith("throttle is holding alerts"));
    expect(holds).toHaveLength(1);
    expect(holds[0]).toMatchObject({ level: 30, route: "default", held: 5, max_per_window: MAX });
    expect(Date.parse(String(holds[0]?.next_digest_at))).toBeGreaterThanOrEqual(WINDOW_S * 1000);
    const released = records.filter((l) => l.msg === "throttle released held alerts");
    expect(released[0]).toMatchObject({ level: 30, route: "default", digests: 1, alerts: 8, still_held: 0 });
    await shutdown(r);
  });

  it("a shutdown on memory state delivers what is held, in one last message per route", async () => {
    const r = await rig("    max_digest_alerts: 5\n");
    const hosts = stormHosts(60);
    for (const host of hosts) {
      r.pipeline.submit(
        alert({ rule: "burst_e", fingerprint: `burst_e|host.name=${host}`, labels: { "host.name": host } }),
      );
    }
    await runTo(r, 4_000);
    expect(r.throttle.status().held).toBe(56);
    await shutdown(r);
    // Every alert accounted for at Slack: the four sent, then five listed and 51 counted in one digest.
    const account = accountStorm(r.slack.delivered());
    expect(account.named.size + account.summarised).toBe(hosts.length);
    expect(r.slack.delivered()).toHaveLength(MAX + 1);
    const digest = JSON.stringify(r.slack.delivered().at(-1));
    expect(digest).toMatch(/Alert digest: 56 alerts held/);
    expect(digest).toMatch(/\+51 more burst_e\* alerts · FIRING · host.name: storm-00024, storm-00025, /);
  });
});

async function shutdown(r: Rig): Promise<void> {
  let done = false;
  const stopping = r.pipeline.shutdown().then(() => {
    done = true;
  });
  await driveVirtualTime(r.scheduler, { busy: () => r.queue.inFlight > 0, done: () => done });
  await stopping;
}
