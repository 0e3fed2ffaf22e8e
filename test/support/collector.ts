// End-to-end helpers for outbox tests: start `alertpipe run` on the e2e fixture, feed it OTLP/JSON
// health gauges for many hosts, read its /status, and tell which hosts a Slack message is about.
import { afterEach } from "vitest";
import { SqliteStateStore } from "../../src/state/sqlite-store.ts";
import type { OutboxEntry } from "../../src/state/store.ts";
import { type CliRun, cleanEnv, startCli } from "./cli.ts";

export const OUTBOX_FIXTURE = "test/fixtures/e2e-outbox.yaml";

export interface Collector {
  readonly cli: CliRun;
  readonly otlpUrl: string;
  readonly statusUrl: string;
  /** POST health scores, one data point per host. */
  postHealth(hosts: readonly string[], value: number): Promise<void>;
  status(): Promise<CollectorStatus>;
}

export interface CollectorStatus {
  readonly state: { backend: string; degraded: boolean; last_error?: string; reconciliations?: number };
  readonly exporters: ReadonlyArray<{
    id: string;
    delivery?: { outbox?: string; pending: number; delivered: number; failed: number };
  }>;
}

export function hostNames(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, i) => `host-${String(from + i).padStart(3, "0")}`);
}

/** An OTLP/JSON request with one gauge point per host (attribute `host.name`, plus `attributes`). */
export function hostGaugeRequest(
  metric: string,
  hosts: readonly string[],
  value: number,
  attributes: Record<string, string> = {},
  service = "scraper",
): unknown {
  const timeUnixNano = String(Date.now() * 1e6);
  const extra = Object.entries(attributes).map(([key, v]) => ({ key, value: { stringValue: v } }));
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
        scopeMetrics: [
          {
            scope: { name: "e2e" },
            metrics: [
              {
                name: metric,
                unit: "1",
                gauge: {
                  dataPoints: hosts.map((host) => ({
                    asDouble: value,
                    timeUnixNano,
                    attributes: [{ key: "host.name", value: { stringValue: host } }, ...extra],
                  })),
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

export function healthRequest(hosts: readonly string[], value: number): unknown {
  return hostGaugeRequest("pipeline.health.score", hosts, value);
}

/** Start `alertpipe run` on a fixture with the given state and Slack URL; resolves once it listens. */
export async function startCollector(
  env: Record<string, string>,
  fixture = OUTBOX_FIXTURE,
): Promise<Collector> {
  const cli = startCli(["run", fixture], cleanEnv(env));
  let line: RegExpMatchArray;
  try {
    line = await cli.waitFor(/"otlp":"(127\.0\.0\.1:\d+)".*?"status":"(127\.0\.0\.1:\d+)"/, 15_000);
  } catch (error) {
    await cli.stop("SIGKILL");
    throw error;
  }
  const otlpUrl = `http://${line[1]}/v1/metrics`;
  const statusUrl = `http://${line[2]}/status`;
  return {
    cli,
    otlpUrl,
    statusUrl,
    async postHealth(hosts, value) {
      const response = await fetch(otlpUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(healthRequest(hosts, value)),
      });
      if (response.status !== 200) throw new Error(`OTLP post answered ${response.status}`);
    },
    async status() {
      return (await (await fetch(statusUrl)).json()) as CollectorStatus;
    },
  };
}

/** Host names a Slack message mentions (an alert: one; a digest: several). */
export function hostsIn(body: Record<string, unknown>): string[] {
  return [...new Set(JSON.stringify(body).match(/host-\d{3}/g) ?? [])];
}

/** What an e2e test file starts: collectors killed (SIGKILL), then cleanups run, after each test. */
export function e2eResources(): { running: Collector[]; cleanups: Array<() => Promise<void> | void> } {
  const running: Collector[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of running.splice(0)) await c.cli.stop("SIGKILL");
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return { running, cleanups };
}

/** The outbox entries pending in a SQLite state file, in store order (read like any other process would). */
export function storedEntries(path: string): OutboxEntry[] {
  const store = new SqliteStateStore({ path });
  try {
    return store.listDestinations().flatMap((destination) => store.pending(destination));
  } finally {
    void store.close();
  }
}

/** Hosts of the pending outbox entries of a SQLite state file, in store order. */
export function storedHosts(path: string): string[] {
  return storedEntries(path).flatMap((entry) => hostsIn({ entry: entry.payload }));
}

/** Poll until `check` holds; throws with `describe()` after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  describe: () => string,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
