// PII and secret patterns, applied in order (URLs with secrets before the emails inside them).
import { SECRET_FORMATS } from "./secret-formats.ts";

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

/** A card number (13–19 digits, a network's prefix, Luhn-valid) once separators are dropped. */
export function isCardNumber(digits: string): boolean {
  return plausibleCard(digits) && luhnValid(digits);
}

function cardOrKeep(match: string): string {
  return isCardNumber(match.replace(/[ .-]/g, "")) ? "[card]" : match;
}

function phoneOrKeep(match: string): string {
  const digits = match.replace(/\D/g, "").length;
  return digits >= 7 && digits <= 15 ? "[phone]" : match;
}

// Not preceded by a word char, dot or dash: keeps digits inside ids, decimals and dates alone.
const START = String.raw`(?<![\w.\-/+])`;
const END = String.raw`(?![\w\-]|\.\d)`;
/** A North American number without separators: area and exchange codes start with 2–9. */
const NANP = String.raw`1?[2-9][0-8]\d[2-9]\d{6}`;
const PHONE_WORD = "(?:phone|tel|telephone|mobile|cell|call|sms|fax|whatsapp|contact)";
/** Letters and digits of any script, for internationalised (IDN) email addresses. */
const U = String.raw`\p{L}\p{N}\p{M}`;

/** Key names whose values are secrets, in `key=value`, `key: value` and JSON. */
const SECRET_KEY_NAME = [
  "api[_-]?key|apikey|access[_-]?key|secret[_-]?key|access[_-]?token|auth[_-]?token",
  "refresh[_-]?token|client[_-]?secret|password|passwd|pwd|secret|token|private[_-]?key|dsn",
  "account[_-]?key|shared[_-]?access[_-]?(?:key|signature)|session(?:[_-]?(?:id|token|key))?|sessid",
].join("|");

/** Secrets named by their key or header, then PII (after the URLs, so a DSN's key is not an email). */
const PII_PATTERNS: readonly ScrubPattern[] = [
  {
    name: "cookie_header",
    regex: /\b((?:Set-)?Cookie)(\s*:\s*)[^\r\n]+/gi,
    replace: (_m, header: string, sep: string) => `${header}${sep}[token]`,
  },
  {
    name: "secret_assignment",
    regex: new RegExp(
      String.raw`\b([A-Za-z0-9_.-]*(?:${SECRET_KEY_NAME}))(["']?\s*[:=]\s*["']?)([^\s"'&,;}]{3,})`,
      "gi",
    ),
    replace: (m, key: string, sep: string, value: string) =>
      value.startsWith("[") ? m : `${key}${sep}[token]`,
  },
  // A SAS token's signature in a query string (Azure storage URLs).
  { name: "sas_signature", regex: /([?&]sig=)[^&\s"'#]+/gi, replace: "$1[token]" },
  {
    name: "phone_assignment",
    regex:
      /\b((?:phone|tel|mobile|cell|msisdn|fax)(?:[_-]?(?:number|no))?)(["']?\s*[:=]\s*["']?)([^\s"'&,;}]{3,})/gi,
    replace: (m, key: string, sep: string, value: string) =>
      value.startsWith("[") || !/\d{3}/.test(value) ? m : `${key}${sep}[phone]`,
  },
  {
    name: "email",
    regex: new RegExp(
      String.raw`(?<![${U}._%+-])[${U}._%+-]+(?:@|%40)[${U}-]+(?:\.[${U}-]+)*\.(?:[\p{L}\p{M}]{2,}|xn--[a-z0-9-]+)(?![${U}-])`,
      "gu",
    ),
    replace: "[email]",
  },
  {
    name: "card",
    regex: new RegExp(
      `${START}(?:\\d{13,19}|\\d{4}([ .-])\\d{4}\\1\\d{4}\\1\\d{1,7}|\\d{4}([ -])\\d{6}\\2\\d{4,5})${END}`,
      "g",
    ),
    replace: cardOrKeep,
  },
  {
    name: "phone_international",
    regex: new RegExp(
      `${START}(?:\\+|00)[1-9]\\d{0,2}(?:[ .-]?\\(?\\d{1,4}\\)?)(?:[ .-]?\\d{2,5}){1,4}${END}`,
      "g",
    ),
    replace: phoneOrKeep,
  },
  {
    name: "phone_national",
    regex: new RegExp(
      `(?<![\\w.\\-/])(?:1[ .-])?(?:\\(\\d{3}\\)\\s?|\\d{3}[ .-])\\d{3}[ .-]\\d{4}${END}`,
      "g",
    ),
    replace: phoneOrKeep,
  },
  // 4155550132 with no separators: a phone when it is the whole value or follows a phone word.
  { name: "phone_bare", regex: new RegExp(`^\\s*${NANP}\\s*$`, "g"), replace: "[phone]" },
  {
    name: "phone_bare_in_text",
    regex: new RegExp(`(?<=\\b${PHONE_WORD}\\W{1,3}(?:number\\W{1,3})?)${NANP}${END}`, "gi"),
    replace: "[phone]",
  },
];

export const SCRUB_PATTERNS: readonly ScrubPattern[] = [
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
    name: "auth_header",
    regex: /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/g,
    replace: (_m, scheme) => `${scheme} [token]`,
  },
  ...SECRET_FORMATS,
  ...PII_PATTERNS,
];
