// PII and secret patterns, applied in order (URLs with secrets before the emails inside them).
// Deliberately kept: IP addresses (infrastructure, useful for debugging; Sentry's sendDefaultPii is
// off so no client IPs are collected), timestamps, versions, UUIDs, trace/span ids, decimals.

export interface ScrubPattern {
  readonly name: string;
  readonly regex: RegExp;
  /** Replacement text, or a function that may keep the match (returns it unchanged). */
  readonly replace: string | ((match: string, ...groups: string[]) => string);
}

/** Luhn checksum over the digits of a candidate card number. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes and lengths of the major card networks (Visa, Mastercard, Amex, Discover, JCB, Diners). */
function plausibleCard(digits: string): boolean {
  const n = digits.length;
  if (n < 13 || n > 19) return false;
  const p2 = Number(digits.slice(0, 2));
  const p4 = Number(digits.slice(0, 4));
  const visa = digits.startsWith("4") && (n === 13 || n === 16 || n === 19);
  const master = ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && n === 16;
  const amex = (p2 === 34 || p2 === 37) && n === 15;
  const discover = (digits.startsWith("6011") || p2 === 65 || (p4 >= 6440 && p4 <= 6499)) && n >= 16;
  const jcb = p4 >= 3528 && p4 <= 3589 && n >= 16;
  const diners = (p2 === 36 || p2 === 38 || (p4 >= 3000 && p4 <= 3059)) && n >= 14;
  return visa || master || amex || discover || jcb || diners;
}

function cardOrKeep(match: string): string {
  const digits = match.replace(/[ -]/g, "");
  return plausibleCard(digits) && luhnValid(digits) ? "[card]" : match;
}

function phoneOrKeep(match: string): string {
  const digits = match.replace(/\D/g, "").length;
  return digits >= 7 && digits <= 15 ? "[phone]" : match;
}

// Not preceded by a word char, dot or dash: keeps digits inside ids, decimals and dates alone.
const START = String.raw`(?<![\w.\-/+])`;
const END = String.raw`(?![\w\-]|\.\d)`;

export const SCRUB_PATTERNS: readonly ScrubPattern[] = [
  {
    name: "private_key",
    regex: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
    replace: "[token]",
  },
  {
    name: "slack_webhook_url",
    regex: /\bhttps?:\/\/hooks\.slack(?:-gov)?\.com\/(?:services|workflows|triggers)\/[^\s"'<>|)]+/gi,
    replace: "[url]",
  },
  // URL with userinfo: Sentry DSNs (https://key@o1.ingest.sentry.io/1), redis://user:pass@host …
  {
    name: "url_with_credentials",
    regex: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@"'<>]+@[^\s"'<>|)]+/gi,
    replace: "[url]",
  },
  {
    name: "jwt",
    regex: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g,
    replace: "[token]",
  },
  {
    name: "auth_header",
    regex: /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/g,
    replace: (_m, scheme) => `${scheme} [token]`,
  },
  {
    name: "openai_style_key",
    regex: /\bsk-(?:ant-|proj-|live_|test_)?[A-Za-z0-9_-]{16,}/g,
    replace: "[token]",
  },
  { name: "stripe_key", regex: /\b[rsp]k_(?:live|test)_[A-Za-z0-9]{16,}/g, replace: "[token]" },
  {
    name: "slack_token",
    regex: /\bxox[abposre]-[A-Za-z0-9-]{10,}|\bxapp-[A-Za-z0-9-]{10,}/g,
    replace: "[token]",
  },
  {
    name: "github_token",
    regex: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g,
    replace: "[token]",
  },
  { name: "aws_access_key", regex: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b/g, replace: "[token]" },
  { name: "google_api_key", regex: /\bAIza[0-9A-Za-z_-]{35}/g, replace: "[token]" },
  // key=value / "key": "value" for secret-looking keys, in text, JSON, query strings and env dumps.
  {
    name: "secret_assignment",
    regex:
      /\b([A-Za-z0-9_.-]*(?:api[_-]?key|apikey|access[_-]?key|secret[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|client[_-]?secret|password|passwd|pwd|secret|token|private[_-]?key|dsn))(["']?\s*[:=]\s*["']?)([^\s"'&,;}]{3,})/gi,
    replace: (m, key: string, sep: string, value: string) =>
      value.startsWith("[") ? m : `${key}${sep}[token]`,
  },
  {
    name: "email",
    regex: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g,
    replace: "[email]",
  },
  {
    name: "card",
    regex: new RegExp(
      `${START}(?:\\d{13,19}|\\d{4}([ -])\\d{4}\\1\\d{4}\\1\\d{1,7}|\\d{4}([ -])\\d{6}\\2\\d{4,5})${END}`,
      "g",
    ),
    replace: cardOrKeep,
  },
  {
    name: "phone_international",
    regex: new RegExp(`${START}\\+\\d{1,3}(?:[ .-]?\\(?\\d{1,4}\\)?)(?:[ .-]?\\d{2,5}){1,4}${END}`, "g"),
    replace: phoneOrKeep,
  },
  {
    name: "phone_national",
    regex: new RegExp(`(?<![\\w.\\-/])(?:\\(\\d{3}\\)\\s?|\\d{3}[ .-])\\d{3}[ .-]\\d{4}${END}`, "g"),
    replace: phoneOrKeep,
  },
];
