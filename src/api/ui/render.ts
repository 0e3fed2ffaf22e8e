// The web view's page: one server-rendered document; the script (ui/app.js) refreshes the
// `data-live` parts in place, converts times to the reader's clock and drives the silence form.
import { span } from "./format.ts";
import { Html, html } from "./html.ts";
import type { UiModel } from "./model.ts";
import { alertsPanel, readyPill, summaryCards } from "./render-alerts.ts";
import { deliveryPanel, silenceForm, silencesList, timelinePanel } from "./render-panels.ts";

export interface PageAssets {
  /** The stylesheet, inlined (allowed by its hash in the CSP). */
  readonly css: string;
  readonly refreshSeconds: number;
}

export function renderPage(m: UiModel, assets: PageAssets): string {
  const firing = m.alerts.length;
  const title = firing === 0 ? "alertpipe" : `alertpipe · ${firing} firing`;
  const page: Html = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${new Html(assets.css)}</style>
<script src="app.js" defer></script>
</head>
<body data-refresh="${assets.refreshSeconds}" data-token-required="${m.tokenRequired ? "true" : "false"}">
<header class="top">
<div class="brand"><span class="logo" aria-hidden="true"></span>alertpipe</div>
<div class="meta">instance <code>${m.instance}</code> · up ${span(Date.now() - m.startedAt)} · receivers ${m.receivers.join(", ") || "none"}</div>
${readyPill(m)}
<div class="refresh"><span id="updated" data-live>updated <time class="clock" datetime="${new Date(m.nowMs).toISOString()}">${new Date(m.nowMs).toISOString().slice(11, 19)}Z</time></span>
<button type="button" id="pause" class="small" aria-pressed="false">Pause</button></div>
</header>
<main>
${summaryCards(m)}
${alertsPanel(m)}
<div class="grid">
<section class="panel" id="silences-panel"><h2>Silences</h2>${silencesList(m)}${silenceForm(m)}</section>
${deliveryPanel(m)}
</div>
${timelinePanel(m)}
</main>
<footer>alertpipe web view · refreshes every ${assets.refreshSeconds} s · <a href="../status">/status</a> · <a href="../metrics">/metrics</a> · <a href="../api/v2/alerts">/api/v2/alerts</a></footer>
</body>
</html>
`;
  return page.toString();
}
