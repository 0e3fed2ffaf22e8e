// An alert storm for the storm test and bench/storm.ts: OTLP/JSON requests of `memory_usage`
// breaches on many distinct hosts, and the accounting of what a fake Slack received (alerts named
// alone or in a digest, plus those counted in a digest's "+N more" summary lines).
import { hostGaugeRequest } from "./collector.ts";

export const STORM_HOST = /storm-\d{5}/g;

export function stormHosts(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, i) => `storm-${String(from + i).padStart(5, "0")}`);
}

/** One OTLP/JSON metrics request: `system.memory.utilization` (state used) per host. */
export function stormRequest(hosts: readonly string[], utilization = 0.97): unknown {
  return hostGaugeRequest(
    "system.memory.utilization",
    hosts,
    utilization,
    { "system.memory.state": "used" },
    "storm",
  );
}

/** A digest's summary line: "+N more <rule> alerts …" (exporters/slack-blocks.ts). */
const SUMMARY_LINE = /\+(\d+) more \*?([^\s*]+)\*? alerts/;

function blockTexts(body: Record<string, unknown>): string[] {
  const out: string[] = [];
  const attachments = (body.attachments as Array<{ blocks?: unknown[] }> | undefined) ?? [];
  for (const a of attachments) {
    for (const block of (a.blocks ?? []) as Array<Record<string, unknown>>) {
      const text = block.text as { text?: string } | undefined;
      if (text?.text) out.push(text.text);
      for (const f of (block.fields ?? []) as Array<{ text: string }>) out.push(f.text);
      for (const e of (block.elements ?? []) as Array<{ text?: string }>) if (e.text) out.push(e.text);
    }
  }
  return out;
}

export interface StormAccount {
  /** Hosts named in an alert or a digest line. */
  readonly named: Set<string>;
  /** Alerts counted in summary lines (not named one by one). */
  readonly summarised: number;
  readonly messages: number;
}

/** What the messages Slack accepted account for. */
export function accountStorm(bodies: readonly Record<string, unknown>[]): StormAccount {
  const named = new Set<string>();
  let summarised = 0;
  for (const body of bodies) {
    for (const text of blockTexts(body)) {
      for (const line of text.split("\n")) {
        const summary = line.match(SUMMARY_LINE);
        if (summary) {
          summarised += Number(summary[1]);
          continue;
        }
        for (const host of line.match(STORM_HOST) ?? []) named.add(host);
      }
    }
  }
  return { named, summarised, messages: bodies.length };
}

/** Most arrivals within any rolling `windowMs` (a window is (t - windowMs, t]). */
export function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[start] as number) <= (sorted[end] as number) - windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}
