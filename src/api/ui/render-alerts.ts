// The web view's header, summary cards and firing-alerts table.
import type { AlertMark } from "../../component.ts";
import { span, when } from "./format.ts";
import { type Html, html } from "./html.ts";
import type { UiAlert, UiModel } from "./model.ts";

function markBadge(mark: AlertMark, nowMs: number): Html {
  const left = (until: number | undefined) => (until === undefined ? "" : span(Math.max(0, until - nowMs)));
  switch (mark.mark) {
    case "held":
      return html`<span class="badge held" title="over the throttle's max_per_window on route ${mark.route ?? "default"}: sent in the next digest">held by throttle${mark.until === undefined ? "" : ` · digest in ${left(mark.until)}`}</span>`;
    case "cooldown":
      return html`<span class="badge cooldown" title="notified; re-fires are held back until the cooldown ends">cooldown · ${left(mark.until)} left</span>`;
    case "escalated":
      return html`<span class="badge escalated" title="sent again as escalated">escalated${(mark.level ?? 1) > 1 ? ` ×${mark.level}` : ""}</span>`;
    case "escalation_due":
      return html`<span class="badge due" title="still firing then: sent again as escalated">escalates in ${left(mark.until)}</span>`;
    case "awaiting_data":
      return html`<span class="badge waiting" title="restored after a restart: nothing happens until fresh data confirm it">awaiting data</span>`;
  }
}

function stateBadges(a: UiAlert, nowMs: number): Html {
  const { state, silencedBy } = a.gettable.status;
  const held = a.marks.some((m) => m.mark === "held");
  const main =
    state === "suppressed"
      ? html`<span class="badge silenced" title="muted by silence ${silencedBy.join(", ")}: recorded, not sent">silenced</span>`
      : state === "unprocessed"
        ? html`<span class="badge waiting" title="firing at its rule; no notice of it has passed the pipeline yet">not yet notified</span>`
        : held
          ? ""
          : html`<span class="badge notified" title="its notice passed the pipeline">notified</span>`;
  const {
    incident_id: incident,
    incident_cause: cause,
    incident_role: role,
    incident_alerts: size,
  } = a.gettable.annotations;
  const member = incident
    ? html`<span class="badge due" title="incident ${incident}: ${size ?? "?"} alerts, likely cause ${cause ?? "?"}">incident ${role ?? ""} · ${size ?? "?"} alerts</span>`
    : "";
  return html`${main}${member}${a.marks.map((m) => markBadge(m, nowMs))}`;
}

function labelChips(labels: Readonly<Record<string, string>>): Html {
  const entries = Object.entries(labels);
  if (entries.length === 0) return html`<span class="muted">—</span>`;
  return html`${entries.map(([k, v]) => html`<span class="label"><span class="k">${k}</span>=<span class="v">${v}</span></span>`)}`;
}

function alertRow(a: UiAlert, nowMs: number): Html {
  const status = a.status === "firing" ? "" : html` <span class="badge escalated">${a.status}</span>`;
  return html`<tr class="alert sev-${a.severity}" data-fingerprint="${a.gettable.fingerprint}">
<td><span class="sev ${a.severity}">${a.severity}</span></td>
<td class="what"><div class="rule">${a.rule}${status}</div><div class="summary">${a.summary}</div><div class="comp">${a.component}</div></td>
<td class="value">${a.value === undefined ? html`<span class="muted">—</span>` : html`<b>${a.value}</b>`}${a.threshold ? html`<div class="thr">threshold ${a.threshold}</div>` : ""}${a.baseline ? html`<div class="thr">baseline ${a.baseline}</div>` : ""}</td>
<td class="labels">${labelChips(a.labels)}</td>
<td class="since">${when(a.startsAt, nowMs)}${a.updatedAt - a.startsAt > 1000 ? html`<div class="thr">updated ${when(a.updatedAt, nowMs)}</div>` : ""}</td>
<td class="state">${stateBadges(a, nowMs)}</td>
<td class="act"><button type="button" class="small" data-silence="${JSON.stringify(a.silenceMatchers)}" title="fill the silence form with this alert's labels">Silence…</button></td>
</tr>`;
}

export function alertsPanel(m: UiModel): Html {
  const body =
    m.alerts.length === 0
      ? html`<p class="empty">Nothing is firing.</p>`
      : html`<div class="scroll"><table class="alerts"><thead><tr><th>Severity</th><th>Alert</th><th>Value</th><th>Labels</th><th>Since</th><th>State</th><th></th></tr></thead>
<tbody>${m.alerts.map((a) => alertRow(a, m.nowMs))}</tbody></table></div>`;
  return html`<section class="panel" id="alerts" data-live>
<h2>Firing alerts <span class="count">${m.alerts.length}</span></h2>
${body}
</section>`;
}

export function readyPill(m: UiModel): Html {
  return m.ready.ok
    ? html`<span id="ready" data-live class="pill ok" title="GET /-/ready answers 200">ready</span>`
    : html`<span id="ready" data-live class="pill bad" title="${m.ready.reasons.join("\n")}">not ready · ${m.ready.reasons[0] ?? ""}</span>`;
}

function storeNote(m: UiModel): string {
  if (m.store.degraded) return m.store.degraded_reason ?? "degraded";
  return m.store.backend === "memory" ? "nothing kept across restarts" : m.store.location;
}

export function summaryCards(m: UiModel): Html {
  const bySeverity = (s: string) => m.alerts.filter((a) => a.severity === s).length;
  const silenced = m.alerts.filter((a) => a.gettable.status.state === "suppressed").length;
  const held = m.alerts.filter((a) => a.marks.some((k) => k.mark === "held")).length;
  const activeSilences = m.silences.filter((s) => s.status.state === "active").length;
  const failing = m.destinations.filter((d) => d.status.failing_since !== undefined).length;
  const queued = m.destinations.reduce((n, d) => n + d.status.pending, 0);
  const card = (tone: string, value: string | number, label: string, note: Html | string = "") =>
    html`<div class="card ${tone}"><div class="big">${value}</div><div class="lbl">${label}</div><div class="note">${note}</div></div>`;
  const sevNote = ["critical", "warning", "info"]
    .filter((s) => bySeverity(s) > 0)
    .map((s) => `${bySeverity(s)} ${s}`)
    .join(" · ");
  return html`<section class="cards" id="summary" data-live>
${card(bySeverity("critical") > 0 ? "crit" : m.alerts.length > 0 ? "warn" : "ok", m.alerts.length, "firing", sevNote || "all quiet")}
${card(silenced > 0 ? "silenced" : "plain", silenced, "silenced", `${activeSilences} active silence${activeSilences === 1 ? "" : "s"}`)}
${card(held > 0 ? "warn" : "plain", held, "held by throttle", "sent in the next digest")}
${card(failing > 0 ? "crit" : "ok", failing > 0 ? `${failing} failing` : "OK", "delivery", `${queued} queued`)}
${card(m.store.degraded ? "crit" : "ok", m.store.degraded ? "degraded" : "OK", `state · ${m.store.backend}`, storeNote(m))}
</section>`;
}
