// Slack messages a person reads in one glance: alerts, digests and the test message, always
// inside Slack's limits (alerts truncate their labels; digests split into several messages).
import { incidentSize } from "../src/incident.ts";
import {
  type Alert,
  type Digest,
  type DigestSummary,
  digestCount,
  type SilenceSummary,
} from "../src/signal.ts";
import { silenceDuration } from "../src/silences/silence.ts";
import {
  alertColour,
  alertEmoji,
  type Block,
  COLOURS,
  context,
  escapeMrkdwn,
  expectedText,
  fieldsSection,
  formatNumber,
  formatThreshold,
  formatValue,
  header,
  increaseOf,
  LIMITS,
  labelPairs,
  packLines,
  SEVERITY_EMOJI,
  type SlackMessage,
  section,
  slackDate,
  statusWord,
  summaryExamples,
  summaryHead,
  truncate,
  valueText,
} from "./slack-format.ts";

export interface RenderOptions {
  /** Deployment environment shown on every message (SENTRY_ENVIRONMENT). */
  readonly environment: string;
  /** Prefix the text with <!channel> (escalation to the same channel). */
  readonly mentionChannel?: boolean;
}

const FALLBACK_LABELS_MAX = 2000;
/** Readability caps: an alert shows at most this many labels; a digest message this much list text. */
const MAX_LABELS_SHOWN = 40;
const LABEL_LINE_MAX = 300;
const DIGEST_CHARS_PER_MESSAGE = 20_000;

/** The plain-text fallback: rule, status and labels, readable in a notification. */
export function alertFallback(alert: Alert, options: RenderOptions): string {
  const mention = options.mentionChannel ? "<!channel> " : "";
  const labels = truncate(labelPairs(alert.labels).join(", "), FALLBACK_LABELS_MAX);
  const valueLine = valueText(alert, "threshold ");
  const value = valueLine ? ` | value ${valueLine}` : "";
  const body = `[${statusWord(alert)}] ${alert.rule} (${alert.severity}) — ${alert.component}: ${alert.summary}${value}${labels ? ` | labels: ${labels}` : ""} | env: ${options.environment}`;
  return truncate(`${mention}${escapeMrkdwn(body)}`, LIMITS.text);
}

function alertFields(alert: Alert, options: RenderOptions): string[] {
  const fields = [`*Component*\n${escapeMrkdwn(alert.component)}`, `*Status*\n${statusWord(alert)}`];
  const threshold = escapeMrkdwn(formatThreshold(alert) ?? "");
  const increase = alert.comparison === "increase" ? increaseOf(alert) : undefined;
  if (alert.value !== undefined) {
    // A spike's threshold applies to the increase, not to the value itself.
    const suffix = threshold && increase === undefined ? ` (threshold ${threshold})` : "";
    fields.push(`*Current value*\n${formatValue(alert.value, alert.unit)}${suffix}`);
  }
  const expected = expectedText(alert);
  if (expected !== undefined) fields.push(`*Expected*\n${escapeMrkdwn(expected)}`);
  else if (alert.baseline !== undefined)
    fields.push(`*Baseline*\n${formatValue(alert.baseline, alert.unit)}`);
  if (increase !== undefined)
    fields.push(`*Increase*\n+${formatNumber(increase)} %${threshold ? ` (threshold ${threshold})` : ""}`);
  fields.push(`*Severity*\n${alert.severity}`, `*Environment*\n${escapeMrkdwn(options.environment)}`);
  fields.push(`*Since*\n${slackDate(alert.startsAt)}`);
  if (alert.status === "resolved" && alert.endsAt !== undefined)
    fields.push(`*Resolved*\n${slackDate(alert.endsAt)}`);
  if (alert.escalationLevel !== undefined) fields.push(`*Escalation level*\n${alert.escalationLevel}`);
  return fields;
}

/** Sections of `*title*` + lines, cut to the block budget with an "…and N more" note. */
function listSections(title: string, lines: readonly string[], budget: number, noun: string): Block[] {
  if (lines.length === 0 || budget <= 0) return [];
  const chunks = packLines([`*${title}*`, ...lines.slice(0, MAX_LABELS_SHOWN)], LABEL_LINE_MAX);
  const kept = chunks.length <= budget - 1 ? chunks : chunks.slice(0, Math.max(0, budget - 1));
  const shown = kept.length === 0 ? 0 : kept.join("\n").split("\n").length - 1;
  const blocks: Block[] = kept.map(section);
  if (shown < lines.length) blocks.push(context([`…and ${lines.length - shown} more ${noun} not shown`]));
  return blocks;
}

export function renderAlert(alert: Alert, options: RenderOptions): SlackMessage[] {
  const title = `${alertEmoji(alert)} ${statusWord(alert)} · ${alert.severity.toUpperCase()} · ${alert.rule}`;
  const blocks: Block[] = [header(title)];
  const mention = options.mentionChannel ? "<!channel> " : "";
  blocks.push(section(`${mention}${escapeMrkdwn(alert.summary)}`));
  blocks.push(fieldsSection(alertFields(alert, options)));
  const incident = alert.incident ? ` · incident \`${escapeMrkdwn(alert.incident.id)}\`` : "";
  const footer = context([`${slackDate(alert.at)} · \`${escapeMrkdwn(alert.fingerprint)}\`${incident}`]);
  // One line per pair (newlines inside values folded) so the "…and N more" count stays exact.
  const line = ([k, v]: [string, unknown]) =>
    `\`${escapeMrkdwn(k)}\`: ${escapeMrkdwn(String(v).replace(/\s+/g, " "))}`;
  const labelLines = Object.entries(alert.labels).map(line);
  const detailLines = Object.entries(alert.details ?? {}).map(line);
  // Labels first (they identify the alert); details get what is left of the 50-block budget.
  const labelBudget = LIMITS.blocks - blocks.length - 1 - (detailLines.length > 0 ? 2 : 0);
  blocks.push(...listSections("Labels", labelLines, labelBudget, "labels"));
  blocks.push(...listSections("Details", detailLines, LIMITS.blocks - blocks.length - 1, "details"));
  blocks.push(footer);
  const fallback = alertFallback(alert, options);
  return [{ text: fallback, attachments: [{ color: alertColour(alert), fallback, blocks }] }];
}

/** One compact line per held alert: emoji, rule, status, labels, value vs threshold. */
export function digestLine(alert: Alert): string {
  const labels = labelPairs(alert.labels).map(escapeMrkdwn).join(", ");
  const shown = valueText(alert);
  const value = shown ? ` · ${escapeMrkdwn(shown)}` : "";
  const emoji = alert.status === "firing" ? SEVERITY_EMOJI[alert.severity] : alertEmoji(alert);
  const times = Number(alert.details?.muted_notices);
  const muted = times > 1 ? ` · muted ${times}×` : "";
  const size = alert.incident ? incidentSize(alert.incident) : 1;
  const incident = size > 1 ? ` · incident of ${size} alerts` : "";
  return truncate(
    `${emoji} *${escapeMrkdwn(alert.rule)}* · ${statusWord(alert)}${labels ? ` · ${labels}` : ""}${value}${incident}${muted}`,
    600,
  );
}

/** A summary line: held alerts counted, not listed ("➕ *+9590 more memory_usage* alerts …"). */
export function summaryLine(summary: DigestSummary): string {
  const examples = summaryExamples(summary);
  const emoji = summary.status === "firing" ? SEVERITY_EMOJI[summary.severity] : "➕";
  const head = `*+${summary.count} more ${escapeMrkdwn(summary.rule)}* alerts · ${summary.status.toUpperCase()}`;
  return truncate(`${emoji} ${head}${examples ? ` · ${escapeMrkdwn(examples)}` : ""}`, 600);
}

function digestColour(digest: Digest): string {
  const firing = [...digest.alerts, ...(digest.summarised ?? [])].filter((a) => a.status !== "resolved");
  if (firing.some((a) => a.severity === "critical")) return COLOURS.critical;
  if (firing.some((a) => a.severity === "warning")) return COLOURS.warning;
  return COLOURS.info;
}

/** "while silenced (comment, author, duration)": which silence a digest of muted alerts reports on. */
function silenceWords(silence: SilenceSummary): string {
  const by = silence.createdBy ? `, ${silence.createdBy}` : "";
  return `while silenced (${silence.comment || "no comment"}${by}, ${silenceDuration(silence.endsAt - silence.startsAt)})`;
}

/** "Alert digest: N alerts held", or "while silenced (…): N alerts muted"; `part` after the name. */
function digestTitle(digest: Digest, part = ""): string {
  const n = digestCount(digest);
  return digest.silence
    ? `${silenceWords(digest.silence)}${part}: ${n} alerts muted`
    : `Alert digest${part}: ${n} alerts held`;
}

export function digestFallback(digest: Digest, options: RenderOptions, part = "", limit = 3000): string {
  const list = digest.alerts
    .map(
      (a) =>
        `${a.rule} [${statusWord(a)}]${Object.keys(a.labels).length ? ` (${labelPairs(a.labels).join(", ")})` : ""}`,
    )
    .join("; ");
  const counted = (digest.summarised ?? []).map((s) => `; ${summaryHead(s)}`).join("");
  return truncate(
    escapeMrkdwn(`${digestTitle(digest, part)} | env: ${options.environment} — ${list}${counted}`),
    limit,
  );
}

/** The intro line under a digest's header: why these alerts arrive together. */
function digestIntro(digest: Digest, options: RenderOptions): string {
  const env = `environment *${escapeMrkdwn(options.environment)}*`;
  const s = digest.silence;
  if (!s) {
    return `${digestCount(digest)} alerts were held by the throttle since ${slackDate(digest.windowStart)} · ${env}`;
  }
  const firing = s.stillFiring > 0 ? ` ${s.stillFiring} still firing were sent on their own.` : "";
  return (
    `The silence \`${escapeMrkdwn(s.matchers)}\` by *${escapeMrkdwn(s.createdBy || "unknown")}* ` +
    `(“${escapeMrkdwn(s.comment)}”) ran from ${slackDate(s.startsAt)} to ${slackDate(s.endsAt)}. ` +
    `It muted ${s.mutedNotices} notices in all; the ${digest.alerts.length} alerts below are over.${firing} · ${env}`
  );
}

/**
 * A digest lists every held alert and then its summary lines (alerts counted per rule past the
 * throttle's bound); past one message's 50 blocks it continues in the next.
 */
export function renderDigest(digest: Digest, options: RenderOptions): SlackMessage[] {
  const sections = packLines([
    ...digest.alerts.map(digestLine),
    ...(digest.summarised ?? []).map(summaryLine),
  ]);
  const perMessage = LIMITS.blocks - 3; // header, intro, footer
  const parts: string[][] = [[]];
  let chars = 0;
  for (const chunk of sections) {
    const current = parts.at(-1) as string[];
    if (
      current.length > 0 &&
      (current.length >= perMessage || chars + chunk.length > DIGEST_CHARS_PER_MESSAGE)
    ) {
      parts.push([chunk]);
      chars = chunk.length;
    } else {
      current.push(chunk);
      chars += chunk.length;
    }
  }
  const colour = digestColour(digest);
  const intro = digestIntro(digest, options);
  const emoji = digest.silence ? "🔕" : "📋";
  return parts.map((chunk, index) => {
    const part = parts.length > 1 ? ` (part ${index + 1}/${parts.length})` : "";
    const blocks: Block[] = [header(`${emoji} ${digestTitle(digest)}${part}`), section(intro)];
    blocks.push(...chunk.map(section));
    blocks.push(context([slackDate(digest.at)]));
    const fallback = `${options.mentionChannel ? "<!channel> " : ""}${digestFallback(digest, options, part)}`;
    return { text: fallback, attachments: [{ color: colour, fallback, blocks }] };
  });
}

/** The `alertpipe test-alert` message: proves the webhook works, clearly not a real alert. */
export function renderTestMessage(options: RenderOptions, at: number): SlackMessage {
  const text = `[TEST] alertpipe test message — delivery works | env: ${options.environment}`;
  const blocks: Block[] = [
    header("🧪 alertpipe test message"),
    section("This is a test from `alertpipe test-alert`: alerts will reach this channel. No action needed."),
    context([`${slackDate(at)} · environment *${escapeMrkdwn(options.environment)}*`]),
  ];
  return { text, attachments: [{ color: COLOURS.info, fallback: text, blocks }] };
}
