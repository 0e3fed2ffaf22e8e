// alertpipe web view: refreshes the page's live parts in place, shows times on the reader's clock,
// and adds or expires silences through the Alertmanager v2 API with the bearer token. Text from the
// server only ever reaches the page as escaped markup it rendered, or through textContent.

const TOKEN_KEY = "alertpipe.token";
const AUTHOR_KEY = "alertpipe.createdBy";
const api = (path) => new URL(`../api/v2/${path}`, document.baseURI).toString();

let paused = false;
let refreshing = false;

function localTimes(root) {
  for (const t of root.querySelectorAll("time[datetime]")) {
    const at = new Date(t.getAttribute("datetime"));
    if (Number.isNaN(at.getTime())) continue;
    t.title = at.toLocaleString();
    if (t.classList.contains("clock")) t.textContent = at.toLocaleTimeString([], { hour12: false });
  }
}

async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    const res = await fetch(window.location.pathname, {
      cache: "no-store",
      headers: { accept: "text/html" },
    });
    if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
    const next = new DOMParser().parseFromString(await res.text(), "text/html");
    for (const fresh of next.querySelectorAll("[data-live][id]")) {
      const current = document.getElementById(fresh.id);
      if (!current) continue;
      const open = current.querySelector("details")?.open;
      const adopted = document.importNode(fresh, true);
      if (open) adopted.querySelector("details")?.setAttribute("open", "");
      current.replaceWith(adopted);
    }
    document.title = next.title;
    localTimes(document);
  } catch (error) {
    say(`refresh failed: ${error.message}`, "error");
  } finally {
    refreshing = false;
  }
}

function say(text, tone) {
  const status = document.getElementById("form-status");
  if (!status) return;
  status.textContent = text;
  status.className = tone ?? "";
}

function token() {
  return document.getElementById("token")?.value.trim() ?? "";
}

function headers() {
  const h = { "content-type": "application/json" };
  if (token()) h.authorization = `Bearer ${token()}`;
  return h;
}

/** An API answer's message: Alertmanager answers {code, message} or a bare JSON string. */
async function problem(res) {
  const text = await res.text();
  let message = text;
  try {
    const body = JSON.parse(text);
    message = typeof body === "string" ? body : (body.message ?? text);
  } catch {
    // plain text
  }
  if (res.status === 401) message = `${message} — enter the API token (ALERTPIPE_STATUS_TOKEN)`;
  return `${res.status}: ${message}`;
}

const MATCHER = /^\s*([^\s=!~"]+)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*?))\s*$/;

/** `alertname="x", service_name=~"svc-.*"` (braces optional) as v2 API matchers. */
function parseMatchers(text) {
  const inner = text.trim().replace(/^\{/, "").replace(/\}$/, "");
  const parts = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === "\\" && quoted) {
      current += c + (inner[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === "," && !quoted) {
      parts.push(current);
      current = "";
      continue;
    }
    current += c;
  }
  if (current.trim() !== "") parts.push(current);
  if (parts.length === 0) throw new Error('give at least one matcher, e.g. alertname="system_health"');
  return parts.map((part) => {
    const m = MATCHER.exec(part);
    if (!m) throw new Error(`not a matcher: ${part.trim()} (use name="value", name=~"regex", !=, !~)`);
    const op = m[2];
    const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, "$1") : m[4];
    return { name: m[1], value, isRegex: op.includes("~"), isEqual: !op.startsWith("!") };
  });
}

function durationMs(text) {
  const m = /^(\d+(?:\.\d+)?)(m|h|d)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2]];
}

async function createSilence(event) {
  event.preventDefault();
  const form = event.target;
  try {
    const createdBy = form.elements.createdBy.value.trim();
    const comment = form.elements.comment.value.trim();
    if (!createdBy) throw new Error("say who creates it (Created by)");
    if (!comment) throw new Error("say why (Comment)");
    const matchers = parseMatchers(form.elements.matchers.value);
    const now = Date.now();
    const body = {
      matchers,
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + durationMs(form.elements.duration.value)).toISOString(),
      createdBy,
      comment,
    };
    say("creating…");
    const res = await fetch(api("silences"), {
      method: "POST",
      headers: headers(),
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(await problem(res));
    const { silenceID } = await res.json();
    sessionStorage.setItem(AUTHOR_KEY, createdBy);
    form.elements.comment.value = "";
    say(`silence ${silenceID} created`, "done");
    await refresh();
  } catch (error) {
    say(error.message, "error");
  }
}

async function expireSilence(id) {
  try {
    say(`expiring ${id}…`);
    const res = await fetch(api(`silence/${encodeURIComponent(id)}`), {
      method: "DELETE",
      headers: headers(),
    });
    if (!res.ok) throw new Error(await problem(res));
    say(`silence ${id} expired`, "done");
    await refresh();
  } catch (error) {
    say(error.message, "error");
  }
}

function prefill(matchers) {
  const input = document.getElementById("matchers");
  if (!input) return;
  input.value = Object.entries(matchers)
    .map(([name, value]) => `${name}="${String(value).replace(/["\\]/g, "\\$&")}"`)
    .join(", ");
  const comment = document.getElementById("comment");
  comment?.scrollIntoView({ behavior: "smooth", block: "center" });
  comment?.focus();
  say("matchers filled in from the alert: add a comment and create");
}

function start() {
  const tokenInput = document.getElementById("token");
  if (tokenInput) {
    tokenInput.value = sessionStorage.getItem(TOKEN_KEY) ?? "";
    tokenInput.addEventListener("input", () => sessionStorage.setItem(TOKEN_KEY, tokenInput.value.trim()));
  }
  const author = document.getElementById("created-by");
  if (author && !author.value) author.value = sessionStorage.getItem(AUTHOR_KEY) ?? "";
  document.getElementById("silence-form")?.addEventListener("submit", createSilence);
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const expire = target?.closest("button[data-expire]");
    if (expire) return void expireSilence(expire.getAttribute("data-expire"));
    const silence = target?.closest("button[data-silence]");
    if (silence) prefill(JSON.parse(silence.getAttribute("data-silence") ?? "{}"));
  });
  const pause = document.getElementById("pause");
  pause?.addEventListener("click", () => {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
    pause.setAttribute("aria-pressed", String(paused));
    if (!paused) void refresh();
  });
  localTimes(document);
  const seconds = Number(document.body.dataset.refresh) || 10;
  setInterval(() => {
    if (!paused && document.visibilityState === "visible") void refresh();
  }, seconds * 1000);
}

start();
