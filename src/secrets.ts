// Secret redaction for everything we print: logs, status, error messages, delivery failure reasons.
// A secret is masked in every form a server or client may echo it in: raw, URL-encoded, its URL
// path, the path's last segment (a webhook's token), a DSN's key; URL-shaped secrets by pattern too.

/** Name parts that say a variable or key holds a secret (SLACK_WEBHOOK_URL, DB_PASSWORD, api-key …). */
const SECRET_NAME_PART =
  /(?:^|[_.-])(?:url|uri|dsn|webhook|token|password|passwd|pwd|secret|key|apikey|credentials?|auth|cookie)(?:$|[_.-])/i;
const SECRET_NAME_END = /(?:secret|password|passwd|token|apikey|accesskey|dsn)$/i;

/** Whether a variable or key name says its value is a secret. */
export function looksSecretName(name: string): boolean {
  return SECRET_NAME_PART.test(name) || SECRET_NAME_END.test(name);
}

/** Shortest text masked as a secret form: shorter ones (a redis db "/0", a project id) are not secrets. */
const MIN_FORM = 8;

/** Every form of a secret worth masking, longest first, each with what replaces it. */
export function secretForms(secret: string): Array<[form: string, replacement: string]> {
  const forms = new Map<string, string>();
  const add = (form: string | undefined, replacement = "***", min = MIN_FORM) => {
    if (!form || form.length < min || forms.has(form)) return;
    forms.set(form, replacement);
    const encoded = encodeURIComponent(form);
    if (!forms.has(encoded)) forms.set(encoded, replacement);
  };
  add(secret, describeSecret(secret), 1);
  let url: URL | undefined;
  try {
    url = new URL(secret);
  } catch {
    url = undefined;
  }
  if (url) {
    // A DSN's key (and a legacy secret) in any position: userinfo, sentry_key=…, X-Sentry-Auth.
    for (const part of [url.username, url.password]) {
      add(part);
      add(safeDecode(part));
    }
    if (!url.username) {
      // A webhook: the path holds the token (Slack: /services/T…/B…/<token>), and its last segment alone.
      add(url.pathname, "/***");
      add(url.pathname.split("/").filter(Boolean).at(-1));
    }
    for (const value of url.searchParams.values()) add(value);
  }
  return [...forms].sort((a, b) => b[0].length - a[0].length);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A matcher for a set of secret forms; encoded forms match in any hex case (%2F or %2f). */
class SecretMatcher {
  readonly #replacements = new Map<string, string>();
  #regex: RegExp | undefined;

  add(forms: ReadonlyArray<[string, string]>): void {
    for (const [form, replacement] of forms) {
      const key = form.toLowerCase();
      if (!this.#replacements.has(key)) this.#replacements.set(key, replacement);
    }
    const alternatives = [...this.#replacements.keys()]
      .sort((a, b) => b.length - a.length)
      .map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    this.#regex = alternatives.length > 0 ? new RegExp(alternatives.join("|"), "gi") : undefined;
  }

  redact(text: string): string {
    if (!this.#regex) return text;
    return text.replace(this.#regex, (m) => this.#replacements.get(m.toLowerCase()) ?? "***");
  }
}

const known = new SecretMatcher();

/** Remember a secret value (webhook URL, DSN, token) so it is masked wherever it appears. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) known.add(secretForms(value));
}

const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // Slack webhook paths: keep the host so the reader knows which service.
  [/(hooks\.slack(?:-gov)?\.com\/(?:services|workflows|triggers)\/)[^\s"'<>]+/gi, "$1***"],
  // The same path URL-encoded, or without its host (a 403 body echoing the request path).
  [
    /((?:\/|%2[Ff])(?:services|workflows|triggers)(?:\/|%2[Ff]))T[A-Z0-9]{6,}(?:(?:\/|%2[Ff])[A-Za-z0-9]+){1,2}/g,
    "$1***",
  ],
  // Any URL userinfo (DSN keys, redis://user:pass@).
  [/([a-z][a-z0-9+.-]*:\/\/)[^\s/@"'<>]+@/gi, "$1***@"],
  [/\b(sentry_key=)[A-Za-z0-9]+/gi, "$1***"],
  [/\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, "$1***"],
  [/\bxox[abposr]-[A-Za-z0-9-]{8,}/g, "xox*-***"],
];

/** Mask secrets in one string. */
export function redactSecrets(text: string): string {
  let out = known.redact(text);
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Mask the given secrets (in all their forms) in a free text, e.g. an error message a server sent. */
export function stripSecrets(text: string, secrets: readonly string[]): string {
  const matcher = new SecretMatcher();
  for (const secret of secrets) if (secret) matcher.add(secretForms(secret));
  return redactSecrets(matcher.redact(text));
}

/** A safe name for a secret URL: scheme and host only. */
export function describeSecret(secret: string): string {
  try {
    const url = new URL(secret);
    return `${url.protocol}//${url.host}/***`;
  } catch {
    return "***";
  }
}

/** `https://hooks.slack.com/services/T0001/B0002/XXXX` → `hooks.slack.com/services/T***`. */
export function redactDestination(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "***";
  }
  const first = parsed.pathname.split("/").filter(Boolean);
  const host = parsed.host;
  // Sentry DSN: key in userinfo, project id in the path; the project id is not secret.
  if (parsed.username) return `${host}/${first.at(-1) ?? ""} (key ***)`;
  if (first.length === 0) return host;
  const [section, next] = first;
  if (first.length === 1) return `${host}/${section?.slice(0, 1) ?? ""}***`;
  return `${host}/${section}/${next?.slice(0, 1) ?? ""}***`;
}

/** Deep-copy a JSON-like value with every string redacted (a cycle becomes "[circular]"). */
export function redactDeep<T>(value: T, seen = new WeakSet<object>()): T {
  if (typeof value === "string") return redactSecrets(value) as T;
  if (!value || typeof value !== "object" || value instanceof Date) return value;
  if (seen.has(value)) return "[circular]" as T;
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redactDeep(v, seen)) as T;
    if (value instanceof Error) return redactDeep({ type: value.name, message: value.message }, seen) as T;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, seen)])) as T;
  } finally {
    seen.delete(value);
  }
}
