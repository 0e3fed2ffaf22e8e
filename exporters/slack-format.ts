// Slack Block Kit building blocks, limits and text helpers shared by alert and digest rendering.
import type { Alert, DigestSummary, Severity } from "../src/signal.ts";

/** Slack's documented limits. */
export const LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  text: 40_000,
} as const;

export type TextObject = { type: "mrkdwn" | "plain_text"; text: string; emoji?: boolean };
export type HeaderBlock = { type: "header"; text: { type: "plain_text"; text: string; emoji: true } };
export type SectionBlock = { type: "section"; text?: TextObject; fields?: TextObject[] };
export type ContextBlock = { type: "context"; elements: TextObject[] };
export type DividerBlock = { type: "divider" };
export type Block = HeaderBlock | SectionBlock | ContextBlock | DividerBlock;

export interface SlackMessage {
  /** Plain fallback: notifications, screen readers, clients without blocks. */
  text: string;
  attachments: Array<{ color: string; fallback: string; blocks: Block[] }>;
}

export const COLOURS: Record<Severity | "resolved", string> = {
  info: "#2EB67D",
  warning: "#ECB22E",
  critical: "#E01E5A",
  resolved: "#2EB67D",
};

export const SEVERITY_EMOJI: Record<Severity, string> = { info: "🟢", warning: "🟡", critical: "🔴" };

export function alertEmoji(alert: Alert): string {
  if (alert.status === "resolved") return "✅";
  if (alert.status === "escalated") return "🚨";
  return SEVERITY_EMOJI[alert.severity];
}

export function alertColour(alert: Alert): string {
  return alert.status === "resolved" ? COLOURS.resolved : COLOURS[alert.severity];
}

/** Cut to `max` characters (code points), marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
}

/** Escape the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function header(text: string): HeaderBlock {
  return {
    type: "header",
    text: { type: "plain_text", text: truncate(text, LIMITS.headerText), emoji: true },
  };
}

export function mrkdwn(text: string, max: number = LIMITS.sectionText): TextObject {
  return { type: "mrkdwn", text: truncate(text, max) };
}

export function section(text: string): SectionBlock {
  return { type: "section", text: mrkdwn(text) };
}

export function fieldsSection(fields: readonly string[]): SectionBlock {
  return {
    type: "section",
    fields: fields.slice(0, LIMITS.fields).map((f) => mrkdwn(f, LIMITS.fieldText)),
  };
}

export function context(texts: readonly string[]): ContextBlock {
  return {
    type: "context",
    elements: texts.slice(0, LIMITS.contextElements).map((t) => mrkdwn(t, LIMITS.fieldText)),
  };
}

/** Pack lines into as few sections as fit the section text limit; over-long lines are cut. */
export function packLines(lines: readonly string[], maxLine = 1000): string[] {
  const chunks: string[] = [];
  let current = "";
  for (const raw of lines) {
    const line = truncate(raw, maxLine);
    if (current && current.length + 1 + line.length > LIMITS.sectionText) {
      chunks.push(current);
      current = line;
    } else {
      current = current ? `${current}\n${line}` : line;
    }
  }
  if (current) chunks.push(current);
  return chunks;
}

/** Numbers people read: at most two decimals, no float noise. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 0.01) return value.toPrecision(2);
  return String(Number(value.toFixed(2)));
}

export function formatValue(value: number, unit?: string): string {
  const n = formatNumber(value);
  if (!unit || unit === "1") return n;
  if (unit.startsWith("/")) return `${n}${unit}`; // "80/s"
  return unit === "%" ? `${n} %` : `${n} ${unit}`;
}

/** An anomaly rule's expected band, "166.2–187.3/s at 14:05 UTC", when the alert carries one. */
export function expectedText(alert: Alert): string | undefined {
  const low = alert.details?.expected_low;
  const high = alert.details?.expected_high;
  if (typeof low !== "number" || typeof high !== "number") return undefined;
  const at = alert.details?.time_of_day;
  const band = `${formatNumber(low)}–${formatValue(high, alert.unit)}`;
  return typeof at === "string" ? `${band} at ${at}` : band;
}

/** "> 10 %", "< 30", "> +50 %" — how the threshold is compared. */
export function formatThreshold(alert: Alert): string | undefined {
  if (alert.threshold === undefined) return undefined;
  const op = alert.comparison === "below" ? "<" : ">";
  const sign = alert.comparison === "increase" ? "+" : "";
  return `${op} ${sign}${formatValue(alert.threshold, alert.unit)}`;
}

/** Slack renders this in the reader's time zone; the ISO text is the fallback. */
export function slackDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${iso}>`;
}

export function labelPairs(labels: Readonly<Record<string, string>>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

export function statusWord(alert: Alert): string {
  return alert.status.toUpperCase();
}

/** Percent increase over the baseline of a spike: the rule's own figure, else computed. */
export function increaseOf(alert: Alert): number | undefined {
  const given = alert.details?.increase_percent;
  if (typeof given === "number") return given;
  if (alert.value === undefined || !alert.baseline) return undefined;
  return ((alert.value - alert.baseline) / alert.baseline) * 100;
}

/** "12.5 % (> 10 %)", or for a spike "6.6 % vs baseline 4.1 % (+61 %, > +50 %)" — plain text. */
export function valueText(alert: Alert, thresholdWord = ""): string | undefined {
  if (alert.value === undefined) return undefined;
  const threshold = formatThreshold(alert);
  const current = formatValue(alert.value, alert.unit);
  const increase = alert.comparison === "increase" ? increaseOf(alert) : undefined;
  if (alert.baseline !== undefined && increase !== undefined) {
    const inc = `+${formatNumber(increase)} %`;
    return `${current} vs baseline ${formatValue(alert.baseline, alert.unit)} (${inc}${threshold ? `, ${thresholdWord}${threshold}` : ""})`;
  }
  const expected = expectedText(alert);
  if (expected !== undefined) return `${current} (expected ${expected})`;
  return `${current}${threshold ? ` (${thresholdWord}${threshold})` : ""}`;
}

/**
 * Which series a summary line counts, from its examples: the labels that differ between them
 * ("host.name: a, b, c …"), else the first one's labels. Plain text.
 */
export function summaryExamples(summary: DigestSummary): string {
  const examples = summary.examples;
  const first = examples[0];
  if (!first) return "";
  const keys = [...new Set(examples.flatMap((e) => Object.keys(e)))];
  const varying = keys.filter((k) => examples.some((e) => e[k] !== first[k]));
  const more = summary.count > examples.length ? " …" : "";
  if (varying.length === 0) return `${labelPairs(first).join(", ")}${more}`;
  return `${varying.map((k) => `${k}: ${examples.map((e) => e[k] ?? "-").join(", ")}`).join("; ")}${more}`;
}

/** "+9590 more memory_usage alerts (FIRING)": the count first, so it reads (and parses) at a glance. */
export function summaryHead(summary: DigestSummary): string {
  return `+${summary.count} more ${summary.rule} alerts (${summary.status.toUpperCase()})`;
}
