// An incident in Slack: one Block Kit message with the likely cause first, the facts in fields,
// then the timeline of every member (offset, value, why it belongs) — inside Slack's limits.
import { durationText, incidentSize, offsetText } from "../src/incident.ts";
import type { Alert, IncidentInfo, IncidentMember } from "../src/signal.ts";
import type { RenderOptions } from "./slack-blocks.ts";
import { summaryLine } from "./slack-blocks.ts";
import {
  alertColour,
  alertEmoji,
  type Block,
  context,
  escapeMrkdwn,
  fieldsSection,
  formatValue,
  header,
  LIMITS,
  labelPairs,
  packLines,
  type SlackMessage,
  section,
  slackDate,
  statusWord,
  truncate,
  valueText,
} from "./slack-format.ts";

export type IncidentAlert = Alert & { readonly incident: IncidentInfo };

const MEMBER_LINE_MAX = 600;
const MAX_TIMELINE = 40;
const MAX_COUNTED = 10;

/** Alerts accounted for by the first `lines` summary lines (a line counts its rule's alerts). */
function countedIn(info: IncidentInfo, lines: number): number {
  let n = 0;
  for (const s of (info.summarised ?? []).slice(0, Math.max(0, lines))) n += s.count;
  return n;
}

function title(alert: IncidentAlert): string {
  const others = incidentSize(alert.incident) - 1;
  const related = others > 0 ? ` + ${others} related` : "";
  return `${alertEmoji(alert)} ${statusWord(alert)} · ${alert.severity.toUpperCase()} · ${alert.incident.cause}${related}`;
}

/** "+30 s · 🔴 *rpc_error_rate* · 40 % (> 10 %) · same component: database (with …)". */
export function memberLine(m: IncidentMember, incident: IncidentInfo, startsAt: number): string {
  const a = m.alert;
  const labels = labelPairs(a.labels).map(escapeMrkdwn).join(", ");
  // A resolved member's value is where it ended, not a breach: no threshold beside it.
  const value =
    a.status === "resolved"
      ? a.value === undefined
        ? ""
        : `now ${formatValue(a.value, a.unit)}`
      : valueText(a);
  const ended =
    a.status === "resolved" && a.endsAt !== undefined ? ` · resolved ${offsetText(a.endsAt - startsAt)}` : "";
  const why =
    m.reason === undefined ? (a.rule === incident.cause ? "_likely cause_" : "") : escapeMrkdwn(m.reason);
  const parts = [
    `\`${offsetText(m.offsetMs)}\``,
    `${alertEmoji(a)} *${escapeMrkdwn(a.rule)}*`,
    ...(labels ? [labels] : []),
    ...(value ? [escapeMrkdwn(value)] : []),
    ...(why ? [why] : []),
  ];
  return truncate(`${parts.join(" · ")}${ended}`, MEMBER_LINE_MAX);
}

function intro(alert: IncidentAlert, mention: string): string {
  const info = alert.incident;
  const cause = info.members[0]?.alert;
  const component = cause ? ` (${escapeMrkdwn(cause.component)})` : "";
  if (alert.status === "resolved")
    return `${mention}*Resolved* after ${durationText(info.durationMs ?? 0)}: all ${incidentSize(info)} alerts. Likely cause was *${escapeMrkdwn(info.cause)}*${component}.`;
  const causeSummary = cause?.status === "firing" ? cause.summary : alert.summary.split("; ")[0];
  return `${mention}*Likely cause:* *${escapeMrkdwn(info.cause)}*${component}, the first to fire — ${escapeMrkdwn(causeSummary ?? "")}`;
}

function fields(alert: IncidentAlert, environment: string): string[] {
  const info = alert.incident;
  const all = incidentSize(info);
  const firing =
    info.members.filter((m) => m.alert.status !== "resolved").length +
    (info.summarised ?? []).filter((s) => s.status !== "resolved").reduce((n, s) => n + s.count, 0);
  const out = [
    `*Status*\n${statusWord(alert)}`,
    `*Severity*\n${alert.severity}`,
    `*Alerts*\n${all}${alert.status === "resolved" ? "" : ` (${firing} firing)`}`,
    `*Since*\n${slackDate(alert.startsAt)}`,
  ];
  if (alert.status === "resolved" && alert.endsAt !== undefined) {
    out.push(`*Resolved*\n${slackDate(alert.endsAt)}`, `*Duration*\n${durationText(info.durationMs ?? 0)}`);
  }
  out.push(`*Environment*\n${escapeMrkdwn(environment)}`);
  if (alert.escalationLevel !== undefined) out.push(`*Escalation level*\n${alert.escalationLevel}`);
  return out;
}

/** The plain-text fallback: status, cause, and the members with their offsets. */
export function incidentFallback(alert: IncidentAlert, options: RenderOptions): string {
  const mention = options.mentionChannel ? "<!channel> " : "";
  const info = alert.incident;
  const members = info.members
    .map((m, i) => (i === 0 ? `${m.alert.rule} (cause)` : `${offsetText(m.offsetMs)} ${m.alert.rule}`))
    .join(", ");
  const more =
    incidentSize(info) > info.members.length ? `, +${incidentSize(info) - info.members.length} more` : "";
  const body = `[${statusWord(alert)}] incident ${info.cause} (${alert.severity}) — ${incidentSize(info)} alerts: ${members}${more} | env: ${options.environment}`;
  return truncate(`${mention}${escapeMrkdwn(body)}`, LIMITS.text);
}

export function renderIncident(alert: IncidentAlert, options: RenderOptions): SlackMessage[] {
  const info = alert.incident;
  const mention = options.mentionChannel ? "<!channel> " : "";
  const blocks: Block[] = [
    header(title(alert)),
    section(intro(alert, mention)),
    fieldsSection(fields(alert, options.environment)),
  ];
  // A reader takes in a few dozen lines: past MAX_TIMELINE members the rest are counted.
  const shown = info.members.slice(0, MAX_TIMELINE).map((m) => memberLine(m, info, alert.startsAt));
  const counted = (info.summarised ?? []).slice(0, MAX_COUNTED).map(summaryLine);
  const chunks = packLines(["*Timeline*", ...shown, ...counted], MEMBER_LINE_MAX);
  const budget = LIMITS.blocks - blocks.length - 2; // the "not shown" note and the footer
  blocks.push(...chunks.slice(0, budget).map(section));
  const listed = chunks.slice(0, budget).join("\n").split("\n").length - 1;
  const hidden = incidentSize(info) - Math.min(listed, shown.length) - countedIn(info, listed - shown.length);
  if (hidden > 0) blocks.push(context([`…and ${hidden} more alerts not shown`]));
  const update = info.revision > 1 && alert.status === "firing" ? " · updated" : "";
  blocks.push(context([`${slackDate(alert.at)} · incident \`${escapeMrkdwn(info.id)}\`${update}`]));
  const fallback = incidentFallback(alert, options);
  return [{ text: fallback, attachments: [{ color: alertColour(alert), fallback, blocks }] }];
}
