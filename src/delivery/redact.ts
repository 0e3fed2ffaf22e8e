// Safe names for secret destinations: enough to tell them apart, never the token or key.

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

/** Replace every occurrence of each secret (and its URL path) in a free text, e.g. an error message. */
export function stripSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    out = out.split(secret).join("***");
    try {
      const url = new URL(secret);
      if (url.pathname.length > 1) out = out.split(url.pathname).join("/***");
      if (url.username) out = out.split(url.username).join("***");
      if (url.password) out = out.split(url.password).join("***");
    } catch {
      // not a URL: exact replacement above is all we can do
    }
  }
  return out;
}
