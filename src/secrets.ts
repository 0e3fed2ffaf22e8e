// Secret redaction for everything we print: logs, status, error messages.
// Known secret values (from config) are replaced exactly; URL-shaped secrets are caught by pattern too.

const knownSecrets = new Set<string>();

/** Remember a secret value (webhook URL, DSN, token) so it is masked wherever it appears. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) knownSecrets.add(value);
}

const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // Slack webhook paths: keep the host so the reader knows which service.
  [/(hooks\.slack(?:-gov)?\.com\/(?:services|workflows|triggers)\/)[^\s"'<>]+/gi, "$1***"],
  // Any URL userinfo (DSN keys, redis://user:pass@).
  [/([a-z][a-z0-9+.-]*:\/\/)[^\s/@"'<>]+@/gi, "$1***@"],
  [/\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, "$1***"],
  [/\bxox[abposr]-[A-Za-z0-9-]{8,}/g, "xox*-***"],
];

/** Mask secrets in one string. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of knownSecrets)
    if (out.includes(secret)) out = out.split(secret).join(describeSecret(secret));
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
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

/** Deep-copy a JSON-like value with every string redacted. */
export function redactDeep<T>(value: T): T {
  if (typeof value === "string") return redactSecrets(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === "object" && !(value instanceof Date)) {
    if (value instanceof Error) return redactDeep({ type: value.name, message: value.message }) as T;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}
