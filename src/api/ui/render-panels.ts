// The web view's silences (list and form), delivery health per destination, and the timeline of
// recent notices (a strip over the last hours, then the list).
import type { JournalEntry } from "../../telemetry/notice-journal.ts";
import type { GettableSilence } from "../am-shapes.ts";
import type { DestinationHealth } from "../health.ts";
import { clock, span, when } from "./format.ts";
import { type Html, html } from "./html.ts";
import type { UiModel } from "./model.ts";

const matcherText = (m: GettableSilence["matchers"][number]) =>
  `${m.name}${m.isEqual ? (m.isRegex ? "=~" : "=") : m.isRegex ? "!~" : "!="}"${m.value}"`;

function silenceRow(s: GettableSilence, nowMs: number): Html {
  const starts = Date.parse(s.startsAt);
  const ends = Date.parse(s.endsAt);
  const state = s.status.state;
  const timing =
    state === "pending"
      ? html`starts ${when(starts, nowMs)}`
      : state === "active"
        ? html`ends ${when(ends, nowMs)} <span class="thr">(${span(ends - starts)} in all)</span>`
        : html`ended ${when(ends, nowMs)}`;
  return html`<tr class="silence ${state}" data-silence-id="${s.id}">
<td><span class="badge s-${state}">${state}</span></td>
<td class="matchers">${s.matchers.map((m) => html`<code>${matcherText(m)}</code> `)}</td>
<td>${timing}</td>
<td><div>${s.comment}</div><div class="thr">by ${s.createdBy}</div></td>
<td class="act">${state === "expired" ? "" : html`<button type="button" class="small danger" data-expire="${s.id}">Expire</button>`}</td>
</tr>`;
}

function silenceTable(list: readonly GettableSilence[], nowMs: number): Html {
  return html`<div class="scroll"><table class="silences"><thead><tr><th>State</th><th>Matchers</th><th>When</th><th>Comment</th><th></th></tr></thead>
<tbody>${list.map((s) => silenceRow(s, nowMs))}</tbody></table></div>`;
}

export function silencesList(m: UiModel): Html {
  const live = m.silences.filter((s) => s.status.state !== "expired");
  const expired = m.silences.filter((s) => s.status.state === "expired").slice(0, 20);
  return html`<div id="silences" data-live>
${live.length === 0 ? html`<p class="empty">No active or pending silence.</p>` : silenceTable(live, m.nowMs)}
${expired.length === 0 ? "" : html`<details><summary>${expired.length} expired (kept 120 h)</summary>${silenceTable(expired, m.nowMs)}</details>`}
</div>`;
}

export function silenceForm(m: UiModel): Html {
  return html`<form id="silence-form" autocomplete="off" novalidate>
<h3>New silence</h3>
<label class="wide">Matchers <input id="matchers" name="matchers" required placeholder='alertname="system_health", service_name="svc-x"' spellcheck="false"></label>
<div class="row">
<label>Duration <select id="duration" name="duration"><option value="30m">30 minutes</option><option value="1h" selected>1 hour</option><option value="2h">2 hours</option><option value="4h">4 hours</option><option value="8h">8 hours</option><option value="24h">1 day</option><option value="168h">1 week</option></select></label>
<label>Created by <input id="created-by" name="createdBy" required placeholder="you@example.com"></label>
</div>
<label class="wide">Comment <input id="comment" name="comment" required placeholder="why: maintenance window, known issue…"></label>
<label class="wide">API token <input id="token" name="token" type="password" placeholder="${m.tokenRequired ? "ALERTPIPE_STATUS_TOKEN (required)" : "not required here"}"> <span class="hint">kept in this tab only (sessionStorage); sent as a bearer token</span></label>
<div class="row"><button type="submit" class="primary">Create silence</button><span id="form-status" role="status" aria-live="polite"></span></div>
</form>`;
}

function destinationRow(d: DestinationHealth, nowMs: number): Html {
  const s = d.status;
  const last = s.last_failures.at(-1);
  const health = d.down
    ? html`<span class="badge s-bad">down</span> <span class="thr">failing ${span(d.failingS * 1000)}, past its retry time</span>`
    : s.failing_since !== undefined
      ? html`<span class="badge held">retrying</span> <span class="thr">failing ${span(d.failingS * 1000)}</span>`
      : html`<span class="badge s-ok">ok</span>`;
  const oldest =
    s.oldest_pending_since === undefined ? "—" : span(nowMs - Date.parse(s.oldest_pending_since));
  return html`<tr>
<td><div class="rule">${d.exporter}</div><div class="thr">${s.destination}</div></td>
<td>${health}</td>
<td class="num">${s.delivered}</td><td class="num">${s.failed}</td><td class="num">${s.retried}</td>
<td class="num">${s.pending}${s.pending > 0 ? html`<div class="thr">oldest ${oldest}</div>` : ""}</td>
<td class="reason">${last ? html`<div>${last.reason}</div><div class="thr">${when(Date.parse(last.time), nowMs)}</div>` : html`<span class="muted">—</span>`}</td>
</tr>`;
}

export function deliveryPanel(m: UiModel): Html {
  const body =
    m.destinations.length === 0
      ? html`<p class="empty">Nothing delivered yet.</p>`
      : html`<div class="scroll"><table class="delivery"><thead><tr><th>Destination</th><th>Health</th><th>Sent</th><th>Failed</th><th>Retries</th><th>Queue</th><th>Last failure</th></tr></thead>
<tbody>${m.destinations.map((d) => destinationRow(d, m.nowMs))}</tbody></table></div>`;
  return html`<section class="panel" id="delivery" data-live><h2>Delivery</h2>${body}</section>`;
}

const LANES = ["sent", "held", "muted", "failed"] as const;
const laneOf = (e: JournalEntry) => (e.outcome === "handed_off" ? "sent" : e.outcome);

function what(e: JournalEntry): Html {
  if (e.kind === "digest") return html`<b>digest</b> of ${e.count ?? 0}`;
  return html`<b>${e.rule}</b>${e.status ? html` <span class="st st-${e.status}">${e.status}</span>` : ""}`;
}

function strip(m: UiModel): Html {
  const spanMs = m.timelineHours * 3_600_000;
  const from = m.nowMs - spanMs;
  const x = (at: number) => (100 + ((at - from) / spanMs) * 880).toFixed(1);
  const y = (lane: string) => 14 + LANES.indexOf(lane as (typeof LANES)[number]) * 16;
  const hours = Array.from({ length: Math.floor(m.timelineHours) + 1 }, (_, i) => m.nowMs - i * 3_600_000);
  return html`<svg class="strip" viewBox="0 0 1000 84" role="img" aria-label="notices over the last ${m.timelineHours} hours">
${LANES.map((l) => html`<text x="90" y="${y(l) + 4}" class="lane-label" text-anchor="end">${l}</text><line x1="100" x2="980" y1="${y(l)}" y2="${y(l)}" class="lane"></line>`)}
${hours.map((h, i) => html`<line x1="${x(h)}" x2="${x(h)}" y1="4" y2="70" class="hour"></line><text x="${x(h)}" y="82" class="hour-label" text-anchor="middle">${i === 0 ? "now" : `-${i}h`}</text>`)}
${m.timeline.map((e) => html`<circle cx="${x(e.at)}" cy="${y(laneOf(e))}" r="4" class="dot o-${laneOf(e)}"><title>${`${e.outcome} · ${e.kind === "digest" ? `digest of ${e.count ?? 0}` : `${e.rule} ${e.status ?? ""}`} · ${e.summary}`}</title></circle>`)}
</svg>`;
}

function entryRow(e: JournalEntry, nowMs: number): Html {
  const where = [e.destination ?? e.component, e.latencyMs === undefined ? "" : `after ${span(e.latencyMs)}`]
    .filter(Boolean)
    .join(" · ");
  return html`<tr><td>${clock(e.at)}<div class="thr">${when(e.at, nowMs)}</div></td>
<td><span class="badge o-${laneOf(e)}">${e.outcome.replace("_", " ")}</span></td>
<td>${what(e)}</td>
<td class="summary">${e.summary}${e.reason ? html`<div class="thr">${e.outcome === "muted" ? "by silence " : ""}${e.reason}</div>` : ""}</td>
<td class="thr">${where}</td></tr>`;
}

export function timelinePanel(m: UiModel): Html {
  const shown = m.timeline.slice(0, 100);
  const list =
    shown.length === 0
      ? html`<p class="empty">No notice in the last ${m.timelineHours} hours.</p>`
      : html`<div class="scroll"><table class="timeline"><thead><tr><th>Time</th><th>Outcome</th><th>Notice</th><th>Summary</th><th>Where</th></tr></thead>
<tbody>${shown.map((e) => entryRow(e, m.nowMs))}</tbody></table></div>`;
  return html`<section class="panel" id="timeline" data-live>
<h2>Notices, last ${m.timelineHours} hours <span class="count">${m.timeline.length}</span></h2>
${strip(m)}
${list}
</section>`;
}
