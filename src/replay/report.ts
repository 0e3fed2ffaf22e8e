// What a replay prints: each notice (text, or one JSON object per line), then a summary per rule.
// The JSON shape has a `kind` (alert, digest, error, incident; each adds its own fields), a `time`
// (RFC 3339), `rule`, `status` and `labels` on every line.
import { formatNumber, roundedNumber } from "../../processors/rules/alerts.ts";
import { incidentSize, offsetText } from "../incident.ts";
import type { Alert, IncidentInfo, Notice } from "../signal.ts";
import type { RecordedNotice } from "../virtual/pipeline.ts";
import type { ReplayResult } from "./run.ts";

export type NoticeJson = Record<string, unknown> & {
  kind: Notice["kind"] | "incident";
  time: string;
  rule: string | null;
  status: string;
  labels: Record<string, string>;
};

const iso = (ms: number) => new Date(ms).toISOString();

function alertFields(a: Alert): Record<string, unknown> {
  const out: Record<string, unknown> = {
    rule: a.rule,
    status: a.status,
    severity: a.severity,
    component: a.component,
    labels: { ...a.labels },
  };
  if (a.value !== undefined) out.value = a.value;
  if (a.threshold !== undefined) out.threshold = a.threshold;
  if (a.baseline !== undefined) out.baseline = a.baseline;
  if (a.unit !== undefined) out.unit = a.unit;
  out.summary = a.summary;
  out.fingerprint = a.fingerprint;
  out.starts_at = iso(a.startsAt);
  if (a.route !== undefined) out.route = a.route;
  if (a.escalationLevel !== undefined) out.escalation_level = a.escalationLevel;
  if (a.details !== undefined) out.details = { ...a.details };
  return out;
}

/** An incident's own fields: its id, cause, members (with offsets and why) and, resolved, its duration. */
function incidentFields(info: IncidentInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: info.id,
    cause: info.cause,
    revision: info.revision,
    alerts: info.members.map((m) => ({
      offset_seconds: m.offsetMs / 1000,
      ...(m.reason === undefined ? {} : { reason: m.reason }),
      time: iso(m.alert.at),
      ...alertFields(m.alert),
    })),
  };
  if (info.summarised) out.summarised = info.summarised;
  if (info.durationMs !== undefined) out.duration_seconds = info.durationMs / 1000;
  return out;
}

/** One notice as a JSON-ready object. */
export function noticeJson(n: RecordedNotice): NoticeJson {
  const tail: Record<string, unknown> = { pipeline: n.pipeline };
  if (n.atShutdown) tail.at_shutdown = true;
  const notice = n.notice;
  if (notice.kind === "alert" && notice.incident) {
    return {
      kind: "incident",
      time: iso(n.at),
      ...alertFields(notice),
      ...incidentFields(notice.incident),
      ...tail,
    } as NoticeJson;
  }
  if (notice.kind === "alert") {
    return { kind: "alert", time: iso(n.at), ...alertFields(notice), ...tail } as NoticeJson;
  }
  if (notice.kind === "digest") {
    return {
      kind: "digest",
      time: iso(n.at),
      rule: null,
      status: "digest",
      labels: {},
      route: notice.route,
      window_start: iso(notice.windowStart),
      alerts: notice.alerts.map((a) => ({ time: iso(a.at), ...alertFields(a) })),
      ...tail,
    };
  }
  const labels: Record<string, string> = { component: notice.component };
  if (notice.operation !== undefined) labels.operation = notice.operation;
  if (notice.artifactId !== undefined) labels.artifact_id = notice.artifactId;
  const out: NoticeJson = {
    kind: "error",
    time: iso(n.at),
    rule: null,
    status: "error",
    labels,
    error: { type: notice.error.type, message: notice.error.message },
  };
  if (notice.traceId !== undefined) out.trace_id = notice.traceId;
  if (notice.spanId !== undefined) out.span_id = notice.spanId;
  return { ...out, ...tail };
}

function labelText(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return `{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(", ")}}`;
}

function valueText(a: Alert): string {
  if (a.value === undefined) return "";
  const unit = a.unit === "%" || a.unit?.startsWith("/") ? a.unit : a.unit ? ` ${a.unit}` : "";
  const low = a.details?.expected_low;
  const high = a.details?.expected_high;
  // An anomaly rule has no bound: what was expected at that time of day instead.
  const bound =
    a.status === "resolved"
      ? ""
      : typeof low === "number" && typeof high === "number"
        ? ` (expected ${roundedNumber(low)}–${roundedNumber(high)}${unit})`
        : a.threshold === undefined
          ? ""
          : ` (threshold ${formatNumber(a.threshold)}${unit})`;
  return `  ${formatNumber(a.value)}${unit}${bound}`;
}

function alertLine(a: Alert): string {
  const route = a.route && a.route !== "default" ? `  → ${a.route}` : "";
  return `${a.status.padEnd(9)}  ${a.rule}  ${a.severity}  ${labelText(a.labels)}${valueText(a)}${route}`;
}

/** One notice in text: a line, and for a digest one more line per member. */
export function noticeText(n: RecordedNotice): string {
  const when = `${iso(n.at)}${n.atShutdown ? " (at shutdown)" : ""}`;
  const notice = n.notice;
  if (notice.kind === "alert" && notice.incident && incidentSize(notice.incident) > 1) {
    const info = notice.incident;
    const head = `${when}  ${alertLine(notice)}  · incident ${info.id}, ${incidentSize(info)} alerts`;
    const members = info.members.map(
      (m, i) =>
        `      ${offsetText(m.offsetMs).padEnd(9)}${alertLine(m.alert)}  · ${m.reason ?? (i === 0 ? "likely cause" : "")}`,
    );
    const counted = (info.summarised ?? []).map((c) => `      +${c.count} more ${c.rule} (${c.status})`);
    return [head, ...members, ...counted].join("\n");
  }
  if (notice.kind === "alert") return `${when}  ${alertLine(notice)}`;
  if (notice.kind === "digest") {
    const head = `${when}  digest     route ${notice.route}, ${notice.alerts.length} alert(s)`;
    return [head, ...notice.alerts.map((a) => `      ${alertLine(a)}`)].join("\n");
  }
  const where = [notice.component, notice.operation].filter(Boolean).join(" / ");
  return `${when}  error      ${notice.error.type}: ${notice.error.message}  (${where})`;
}

export interface RuleSummary {
  rule: string;
  firings: number;
  resolves: number;
  escalations: number;
  /** Alerts of this rule that went out inside digests. */
  in_digests: number;
  /** Alerts of this rule that went out inside another alert's incident (not as the cause). */
  in_incidents: number;
  /** Messages of this rule's own (firing, resolved, escalated notices). */
  messages: number;
}

export interface ReplaySummary {
  readonly days: number;
  readonly rules: RuleSummary[];
  readonly digests: number;
  readonly errors: number;
  /** Distinct incidents among the notices (ids). */
  readonly incidents: number;
  /** Everything sent: each alert or incident notice, digest and error is one message. */
  readonly messages: number;
}

export function summarize(result: ReplayResult): ReplaySummary {
  const rows = new Map<string, RuleSummary>();
  const row = (rule: string) => {
    let r = rows.get(rule);
    if (!r) {
      r = { rule, firings: 0, resolves: 0, escalations: 0, in_digests: 0, in_incidents: 0, messages: 0 };
      rows.set(rule, r);
    }
    return r;
  };
  for (const rule of result.rules) row(rule);
  let digests = 0;
  let errors = 0;
  const count = (a: Alert, r: RuleSummary) => {
    if (a.status === "firing") r.firings++;
    else if (a.status === "resolved") r.resolves++;
    else r.escalations++;
  };
  const incidents = new Set<string>();
  const grouped = new Set<string>();
  const members = (a: Alert) => {
    if (!a.incident) return;
    incidents.add(a.incident.id);
    for (const m of a.incident.members) {
      const key = `${a.incident.id}\u001f${m.alert.fingerprint}`;
      if (m.alert.fingerprint === a.fingerprint || grouped.has(key)) continue;
      grouped.add(key);
      row(m.alert.rule).in_incidents++;
    }
  };
  for (const { notice } of result.notices) {
    if (notice.kind === "alert") members(notice);
    else if (notice.kind === "digest") for (const a of notice.alerts) members(a);
    if (notice.kind === "alert") {
      const r = row(notice.rule);
      count(notice, r);
      r.messages++;
    } else if (notice.kind === "digest") {
      digests++;
      for (const a of notice.alerts) {
        const r = row(a.rule);
        count(a, r);
        r.in_digests++;
      }
    } else errors++;
  }
  const span = result.start !== undefined && result.end !== undefined ? result.end - result.start : 0;
  return {
    days: span / 86_400_000,
    rules: [...rows.values()].sort((a, b) => a.rule.localeCompare(b.rule)),
    digests,
    errors,
    incidents: incidents.size,
    messages: result.notices.length,
  };
}

function perDay(n: number, days: number): string {
  return days > 0 ? formatNumber(n / days) : "n/a";
}

export function summaryText(result: ReplayResult): string {
  const s = summarize(result);
  const header = [
    "rule",
    "firings",
    "resolves",
    "escalations",
    "in digests",
    "in incidents",
    "messages",
    "messages/day",
  ];
  const rows = s.rules.map((r) => [
    r.rule,
    String(r.firings),
    String(r.resolves),
    String(r.escalations),
    String(r.in_digests),
    String(r.in_incidents),
    String(r.messages),
    perDay(r.messages, s.days),
  ]);
  rows.push(["(digests)", "", "", "", "", "", String(s.digests), perDay(s.digests, s.days)]);
  rows.push(["(exceptions)", "", "", "", "", "", String(s.errors), perDay(s.errors, s.days)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join("  ");
  const { stats } = result;
  const hours = formatNumber(s.days * 24);
  const input =
    `replayed ${stats.metricRequests + stats.traceRequests + stats.logRequests} request(s) (${stats.points} points, ${stats.spans} spans, ${stats.logRecords} log records) over ${hours} h` +
    (stats.rejected > 0
      ? `; ${stats.rejected} point(s)/span(s)/log record(s) rejected by the receiver`
      : "") +
    (stats.outsideRange > 0 ? `; ${stats.outsideRange} request(s) outside --from/--to` : "") +
    (stats.skippedLines > 0 ? `; ${stats.skippedLines} line(s) skipped` : "");
  return [
    input,
    "",
    line(header),
    ...rows.map(line),
    "",
    `${s.messages} message(s) in total, ${perDay(s.messages, s.days)} per day` +
      (s.incidents > 0 ? `; ${s.incidents} incident(s)` : ""),
  ].join("\n");
}
