// Expected vs got for rule tests: alert label sets compared like promtool (exact sets, alertname
// implied), notices field by field (what is given must match), and the diff lines of a failure.
import { formatNumber } from "../../processors/rules/alerts.ts";
import { formatDuration } from "../config/duration.ts";
import type { Alert, Notice } from "../signal.ts";
import type { RecordedNotice } from "../virtual/pipeline.ts";
import type { ExpectedAlert, ExpectedNotice } from "./file.ts";

/** An alert's label set as tests see it: its group labels plus its severity. */
export function alertLabels(a: Alert): Record<string, string> {
  return { ...a.labels, severity: a.severity };
}

/** Its annotations: the summary and component (and details such as increase_percent). */
export function alertAnnotations(a: Alert): Record<string, string> {
  const out: Record<string, string> = { summary: a.summary, component: a.component };
  for (const [k, v] of Object.entries(a.details ?? {})) out[k] = String(v);
  return out;
}

export function formatLabels(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return `{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(", ")}}`;
}

function sameValue(expected: number, got: number | undefined): boolean {
  if (got === undefined) return false;
  return Math.abs(expected - got) <= 1e-6 * Math.max(1, Math.abs(expected), Math.abs(got));
}

/** Differences between `expected` (a subset) and `got`, one phrase each. */
function subsetDifferences(
  what: string,
  expected: Readonly<Record<string, string>>,
  got: Record<string, string>,
) {
  const out: string[] = [];
  for (const [k, v] of Object.entries(expected)) {
    if (got[k] !== v)
      out.push(
        `${what} ${k}: expected ${JSON.stringify(v)}, got ${got[k] === undefined ? "none" : JSON.stringify(got[k])}`,
      );
  }
  return out;
}

function describeAlert(a: Alert, withAnnotations: boolean): string {
  const value = a.value === undefined ? "" : ` value=${formatNumber(a.value)}`;
  const annotations = withAnnotations ? ` annotations=${formatLabels(alertAnnotations(a))}` : "";
  return `${formatLabels(alertLabels(a))}${value}${annotations}`;
}

/** Lines explaining how the firing alerts differ from the expected ones; [] when they match. */
export function compareAlerts(expected: readonly ExpectedAlert[], got: readonly Alert[]): string[] {
  const byLabels = new Map(got.map((a) => [formatLabels(alertLabels(a)), a]));
  const diff: string[] = [];
  const matched = new Set<string>();
  for (const exp of expected) {
    const key = formatLabels(exp.labels);
    const alert = byLabels.get(key);
    if (!alert) {
      diff.push(`- ${key}`);
      continue;
    }
    matched.add(key);
    const problems = subsetDifferences("annotation", exp.annotations ?? {}, alertAnnotations(alert));
    if (exp.value !== undefined && !sameValue(exp.value, alert.value))
      problems.push(
        `value: expected ${formatNumber(exp.value)}, got ${alert.value === undefined ? "none" : formatNumber(alert.value)}`,
      );
    for (const p of problems) diff.push(`~ ${key}: ${p}`);
  }
  for (const [key] of byLabels) if (!matched.has(key)) diff.push(`+ ${key}`);
  if (diff.length === 0) return [];
  const showAnnotations = expected.some((e) => e.annotations !== undefined);
  const list = (items: string[]) => (items.length === 0 ? ["  (none)"] : items.map((i) => `  ${i}`));
  const sorted = (items: string[]) => items.sort();
  return [
    "exp:",
    ...list(
      sorted(
        expected.map((e) => {
          const value = e.value === undefined ? "" : ` value=${formatNumber(e.value)}`;
          const annotations = e.annotations ? ` annotations=${formatLabels(e.annotations)}` : "";
          return `${formatLabels(e.labels)}${value}${annotations}`;
        }),
      ),
    ),
    "got:",
    ...list(sorted(got.map((a) => describeAlert(a, showAnnotations)))),
    "diff (- expected, not firing; + firing, not expected; ~ differs):",
    ...diff.map((d) => `  ${d}`),
  ];
}

/** One recorded notice, one line: `2m30s system_health firing {…} value=20`. */
export function describeNotice(n: RecordedNotice, origin: number): string {
  return `${formatDuration(n.at - origin)} ${describeNoticeBody(n.notice)}`;
}

/** What kind a notice is to a test: an alert standing for an incident is an incident. */
function kindOf(notice: Notice): NonNullable<ExpectedNotice["kind"]> {
  return notice.kind === "alert" && notice.incident ? "incident" : notice.kind;
}

function describeNoticeBody(notice: Notice): string {
  if (notice.kind === "alert" && notice.incident) {
    const members = notice.incident.members.map(
      (m) =>
        `+${formatDuration(m.offsetMs)} ${m.alert.rule} ${m.alert.status} ${formatLabels(alertLabels(m.alert))}`,
    );
    return `incident (cause ${notice.incident.cause}) ${notice.rule} ${notice.status} ${formatLabels(alertLabels(notice))}: ${members.join("; ")}`;
  }
  if (notice.kind === "alert") {
    const value = notice.value === undefined ? "" : ` value=${formatNumber(notice.value)}`;
    return `${notice.rule} ${notice.status} ${formatLabels(alertLabels(notice))}${value}`;
  }
  if (notice.kind === "digest") {
    const members = notice.alerts.map((a) => `${a.rule} ${a.status} ${formatLabels(alertLabels(a))}`);
    return `digest (route ${notice.route}, ${notice.alerts.length} alerts): ${members.join("; ")}`;
  }
  return `error ${notice.error.type}: ${notice.error.message} (component ${notice.component})`;
}

function describeExpected(e: ExpectedNotice): string {
  const parts: string[] = [];
  if (e.at !== undefined) parts.push(formatDuration(e.at));
  if (e.kind !== undefined && e.kind !== "alert") parts.push(e.kind);
  if (e.offset !== undefined) parts.push(`+${formatDuration(e.offset)}`);
  if (e.cause !== undefined) parts.push(`cause=${e.cause}`);
  if (e.alertname !== undefined) parts.push(e.alertname);
  if (e.status !== undefined) parts.push(e.status);
  if (e.labels !== undefined) parts.push(formatLabels(e.labels));
  if (e.value !== undefined) parts.push(`value=${formatNumber(e.value)}`);
  if (e.route !== undefined) parts.push(`route=${e.route}`);
  if (e.annotations !== undefined) parts.push(`annotations=${formatLabels(e.annotations)}`);
  if (e.alerts !== undefined) parts.push(`[${e.alerts.map(describeExpected).join("; ")}]`);
  return parts.join(" ");
}

/** Why `got` is not `expected`; [] when every given field matches. */
function noticeDifferences(
  e: ExpectedNotice,
  notice: Notice,
  at: number | undefined,
  origin: number,
): string[] {
  const out: string[] = [];
  const kind = e.kind ?? (e.cause !== undefined ? "incident" : e.alerts !== undefined ? "digest" : "alert");
  const got = kindOf(notice);
  if (kind === "alert" ? notice.kind !== "alert" : got !== kind)
    return [
      `expected a${/^[aeiu]/.test(kind) ? "n" : ""} ${kind}, got a${/^[aeiu]/.test(got) ? "n" : ""} ${got}`,
    ];
  if (e.at !== undefined && at !== undefined && at - origin !== e.at)
    out.push(`time: expected ${formatDuration(e.at)}, got ${formatDuration(at - origin)}`);
  if (
    e.route !== undefined &&
    (notice.kind === "alert" || notice.kind === "digest") &&
    notice.route !== e.route
  )
    out.push(`route: expected ${e.route}, got ${notice.route ?? "default"}`);
  if (notice.kind === "digest") {
    if (e.alerts === undefined) return out;
    if (e.alerts.length !== notice.alerts.length)
      out.push(`digest: expected ${e.alerts.length} alerts, got ${notice.alerts.length}`);
    e.alerts.forEach((m, i) => {
      const member = notice.alerts[i];
      if (member)
        for (const d of noticeDifferences({ kind: "alert", ...m }, member, undefined, origin))
          out.push(`digest alert ${i + 1}: ${d}`);
    });
    return out;
  }
  if (notice.kind !== "alert") return out;
  const incident = notice.incident;
  if (incident && e.cause !== undefined && incident.cause !== e.cause)
    out.push(`cause: expected ${e.cause}, got ${incident.cause}`);
  if (incident && kind === "incident" && e.alerts !== undefined) {
    if (e.alerts.length !== incident.members.length)
      out.push(`incident: expected ${e.alerts.length} alerts, got ${incident.members.length}`);
    e.alerts.forEach((m, i) => {
      const member = incident.members[i];
      if (!member) return;
      if (m.offset !== undefined && m.offset !== member.offsetMs)
        out.push(
          `incident alert ${i + 1}: offset: expected +${formatDuration(m.offset)}, got +${formatDuration(member.offsetMs)}`,
        );
      for (const d of noticeDifferences({ ...m, kind: "alert" }, member.alert, undefined, origin))
        out.push(`incident alert ${i + 1}: ${d}`);
    });
  }
  if (e.alertname !== undefined && notice.rule !== e.alertname)
    out.push(`alertname: expected ${e.alertname}, got ${notice.rule}`);
  if (e.status !== undefined && notice.status !== e.status)
    out.push(`status: expected ${e.status}, got ${notice.status}`);
  out.push(...subsetDifferences("label", e.labels ?? {}, alertLabels(notice)));
  out.push(...subsetDifferences("annotation", e.annotations ?? {}, alertAnnotations(notice)));
  if (e.value !== undefined && !sameValue(e.value, notice.value))
    out.push(
      `value: expected ${formatNumber(e.value)}, got ${notice.value === undefined ? "none" : formatNumber(notice.value)}`,
    );
  return out;
}

/**
 * Pairs expected and sent notices in order (a longest common subsequence of matching ones), so one
 * extra or missing notice shows as one line instead of shifting every later comparison.
 */
function align(expected: readonly ExpectedNotice[], got: readonly RecordedNotice[], origin: number) {
  const n = expected.length;
  const m = got.length;
  const fits = (i: number, j: number) =>
    noticeDifferences(expected[i] as ExpectedNotice, (got[j] as RecordedNotice).notice, got[j]?.at, origin)
      .length === 0;
  // lcs[i][j]: matched pairs within expected[i..] and got[j..]
  const lcs = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const row = lcs[i] as number[];
      const below = lcs[i + 1] as number[];
      row[j] = fits(i, j) ? (below[j + 1] as number) + 1 : Math.max(below[j] as number, row[j + 1] as number);
    }
  }
  const pairs: { e?: number; g?: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (
      i < n &&
      j < m &&
      fits(i, j) &&
      (lcs[i] as number[])[j] === ((lcs[i + 1] as number[])[j + 1] as number) + 1
    ) {
      pairs.push({ e: i++, g: j++ });
    } else if (
      j < m &&
      (i >= n || ((lcs[i] as number[])[j + 1] as number) >= ((lcs[i + 1] as number[])[j] as number))
    ) {
      pairs.push({ g: j++ });
    } else {
      pairs.push({ e: i++ });
    }
  }
  return pairs;
}

/** Lines explaining how the sent notices differ from the expected ones, in order; [] when they match. */
export function compareNotices(
  expected: readonly ExpectedNotice[],
  got: readonly RecordedNotice[],
  origin: number,
): string[] {
  const diff: string[] = [];
  const pairs = align(expected, got, origin);
  for (let k = 0; k < pairs.length; k++) {
    const { e, g } = pairs[k] as { e?: number; g?: number };
    if (e !== undefined && g !== undefined) continue;
    // An unmatched expected next to an unmatched sent notice: most likely the same one, different.
    const next = pairs[k + 1];
    const pair =
      e !== undefined && next?.g !== undefined && next.e === undefined
        ? { e, g: next.g }
        : g !== undefined && next?.e !== undefined && next.g === undefined
          ? { e: next.e, g }
          : undefined;
    if (pair) {
      const sent = got[pair.g] as RecordedNotice;
      for (const d of noticeDifferences(expected[pair.e] as ExpectedNotice, sent.notice, sent.at, origin))
        diff.push(`~ exp #${pair.e + 1} / got #${pair.g + 1}: ${d}`);
      k++;
    } else if (e !== undefined) {
      diff.push(`- exp #${e + 1}, not sent: ${describeExpected(expected[e] as ExpectedNotice)}`);
    } else if (g !== undefined) {
      diff.push(`+ got #${g + 1}, not expected: ${describeNotice(got[g] as RecordedNotice, origin)}`);
    }
  }
  if (diff.length === 0) return [];
  const numbered = (items: string[]) =>
    items.length === 0 ? ["  (none)"] : items.map((t, i) => `  ${i + 1}. ${t}`);
  return [
    "exp:",
    ...numbered(expected.map(describeExpected)),
    "got:",
    ...numbered(got.map((n) => describeNotice(n, origin))),
    "diff (- expected, not sent; + sent, not expected; ~ differs):",
    ...diff.map((d) => `  ${d}`),
  ];
}
