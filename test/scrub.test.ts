// Scrubbing corpus: PII and secrets that must go, and look-alikes that must stay.
import { lastValueFrom, of, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import { scrubProcessorFactory } from "../processors/scrub.ts";
import { luhnValid } from "../src/scrub/patterns.ts";
import { createScrubber, defaultScrubber } from "../src/scrub/scrub.ts";
import type { ErrorEvent, Item } from "../src/signal.ts";
import { testContext } from "./support/context.ts";
import { alert, digest } from "./support/notice-fixtures.ts";

const scrub = defaultScrubber.text;

// [input, expected output]
const POSITIVE: ReadonlyArray<[string, string]> = [
  ["contact jane.doe@example.com now", "contact [email] now"],
  ["From: <bob+alerts@mail.co.uk>", "From: <[email]>"],
  ["user=ALICE_99@corp-mail.example.org", "user=[email]"],
  ["call +1 415 555 2671", "call [phone]"],
  ["call +44 20 7946 0958 today", "call [phone] today"],
  ["tel:+4915112345678", "tel:[phone]"],
  ["(415) 555-2671 is the desk", "[phone] is the desk"],
  ["phone 415-555-2671", "phone [phone]"],
  ["phone 415.555.2671.", "phone [phone]."],
  ["+33 1 23 45 67 89", "[phone]"],
  ["key sk-abcdefghijklmnopqrstuvwx1234", "key [token]"],
  ["sk-proj-AbCdEfGhIjKlMnOpQrStUv_12", "[token]"],
  ["sk-ant-api03-abcdefghijklmnopqrstuv", "[token]"],
  ["xoxb-1234567890-abcdefghijkl", "[token]"],
  ["xoxp-12345-67890-abcdefABCDEF", "[token]"],
  ["xapp-1-A0123456789-abcdef", "[token]"],
  ["Authorization: Bearer abcDEF123456789xyz", "Authorization: Bearer [token]"],
  ["Basic dXNlcjpwYXNzd29yZA==", "Basic [token]"],
  [
    "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "jwt [token]",
  ],
  ["AKIAIOSFODNN7EXAMPLE used", "[token] used"],
  ["ASIAY34FZKBOKMUTVV7A", "[token]"],
  ["aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key=[token]"],
  ["api_key=12345abcdef", "api_key=[token]"],
  ["https://api.example.com/v1?api_key=abc123def&x=1", "https://api.example.com/v1?api_key=[token]&x=1"],
  ['{"apiKey": "s3cr3tvalue"}', '{"apiKey": "[token]"}'],
  ["password: hunter22", "password: [token]"],
  ["DB_PASSWORD=correct-horse", "DB_PASSWORD=[token]"],
  ["client_secret='abcd1234'", "client_secret='[token]'"],
  ["ghp_abcdefghijklmnopqrstuvwxyz0123456789", "[token]"],
  ["AIzaSyA-1234567890abcdefghijklmnopqrstu", "[token]"],
  ["sk_live_abcdefghijklmnop1234", "[token]"],
  ["card 4111 1111 1111 1111 declined", "card [card] declined"],
  ["card 4111-1111-1111-1111", "card [card]"],
  ["5555555555554444", "[card]"],
  ["amex 3782 822463 10005", "amex [card]"],
  ["378282246310005", "[card]"],
  ["6011111111111117 on file", "[card] on file"],
  ["hook https://hooks.slack.com/services/T000/B000/XXXXXXXX failed", "hook [url] failed"],
  ["https://hooks.slack.com/workflows/T1/A2/3/abc", "[url]"],
  ["dsn https://abc123def456@o123.ingest.sentry.io/4505 broke", "dsn [url] broke"],
  ["redis://user:pa55@cache.internal:6379/0", "[url]"],
  ["postgres://app:secret@db:5432/coffee", "[url]"],
  ["-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "[token]"],
  ["SENTRY_DSN=https://k@o1.ingest.sentry.io/2", "SENTRY_DSN=[url]"],
];

// Look-alikes that must pass through unchanged.
const NEGATIVE: readonly string[] = [
  "2025-01-15T09:30:00.000Z",
  "2025-01-15 09:30:00",
  "started at 1736933400000 ms",
  "epoch 1736933400",
  "ns 1736933400000000000",
  "version 1.2.3",
  "node v22.12.0",
  "@opentelemetry/sdk-trace 3.1.1",
  "trace 4bf92f3577b34da6a3ce929d0e0e4736",
  "span 00f067aa0ba902b7",
  "id 550e8400-e29b-41d4-a716-446655440000",
  "uuid 12345678-1234-1234-1234-123456789012",
  "value 0.1234567890123456",
  "pi 3.14159265358979",
  "rate 12.5 % above 10 %",
  "increase +50 % over baseline",
  "host 10.0.0.12 port 5432",
  "server 192.168.100.200",
  "ipv6 2001:db8::1",
  "order 4111111111111112 (fails Luhn)",
  "1234567812345678",
  "artifact_123",
  "roaster.id=r42 platform=shopify",
  "prompt_tokens=100 completion_tokens=50",
  "gen_ai.usage.input_tokens",
  "max_tokens: 4096",
  "price 1,299.99 EUR",
  "ticket ORD-123-456-7890",
  "http://127.0.0.1:4318/v1/metrics",
  "https://docs.slack.com/messaging",
  "file:///usr/src/app/index.js:10:5",
  "at parse (/app/src/normalizer.ts:42:13)",
  "count 1234567",
  "phone? +50",
  "cpu_usage=95.0 memory_usage=90.0",
  "token bucket refilled",
  "email address missing",
  "@scope/package",
  "ratio 0.85",
  "p95 61.2 s",
];

describe("scrubbing corpus", () => {
  it("has at least 50 cases", () => {
    expect(POSITIVE.length + NEGATIVE.length).toBeGreaterThanOrEqual(50);
  });

  it.each(POSITIVE)("scrubs %j", (input, expected) => {
    expect(scrub(input)).toBe(expected);
  });

  it.each(NEGATIVE.map((n) => [n]))("keeps %j", (input) => {
    expect(scrub(input)).toBe(input);
  });

  it("checks card numbers with Luhn", () => {
    expect(luhnValid("4111111111111111")).toBe(true);
    expect(luhnValid("4111111111111112")).toBe(false);
    expect(luhnValid("79927398713")).toBe(true);
  });
});

describe("scrubbing items", () => {
  it("scrubs every string of an alert: summary, labels, details, fingerprint", () => {
    const a = alert({
      summary: "failed for jane@example.com",
      labels: { user: "jane@example.com", token: "xoxb-1234567890-abcdefghijkl", "reporter jane@x.io": "y" },
      details: { note: "call +1 415 555 2671", password: "hunter2", count: 3 },
      fingerprint: "rule|user=jane@example.com",
    });
    const s = defaultScrubber.item(a);
    expect(s.summary).toBe("failed for [email]");
    expect(s.labels).toEqual({ user: "[email]", token: "[token]", "reporter [email]": "y" });
    expect(s.details).toEqual({ note: "call [phone]", password: "[token]", count: 3 });
    expect(s.fingerprint).toBe("rule|user=[email]");
    expect(s.status).toBe("firing");
    expect(a.summary).toBe("failed for jane@example.com");
  });

  it("scrubs digests and error events (message, stack, contexts, user), keeping trace ids", () => {
    const d = defaultScrubber.item(digest([alert({ summary: "x bob@example.com" })]));
    expect(d.alerts[0]?.summary).toBe("x [email]");
    const e: ErrorEvent = {
      kind: "error",
      error: {
        type: "AuthError",
        message: "bad key sk-abcdefghijklmnopqrstuvwx1234 for ops@example.com",
        stack: "AuthError: bad key sk-abcdefghijklmnopqrstuvwx1234\n    at call (/app/llm.ts:10:3)",
      },
      component: "enricher",
      pipelineState: { step: "enrich", contact: "+44 20 7946 0958", nested: { card: "4111 1111 1111 1111" } },
      user: { email: "admin@example.com", user_id: "admin" },
      traceId: "12345678901234567890123456789012",
      spanId: "4111111111111111",
      time: 0,
    };
    const s = defaultScrubber.item(e);
    expect(s.error.message).toBe("bad key [token] for [email]");
    expect(s.error.stack).toBe("AuthError: bad key [token]\n    at call (/app/llm.ts:10:3)");
    expect(s.pipelineState).toEqual({ step: "enrich", contact: "[phone]", nested: { card: "[card]" } });
    expect(s.user).toEqual({ email: "[email]", user_id: "admin" });
    expect(s.traceId).toBe(e.traceId);
    expect(s.spanId).toBe("4111111111111111");
  });

  it("runs as the scrub processor: notices scrubbed, signals untouched, extra patterns applied", async () => {
    const config = scrubProcessorFactory.configSchema.parse({
      extra_patterns: [{ regex: "roaster-\\d+", replacement: "[roaster]" }],
    });
    expect(scrubProcessorFactory.validate?.(config)).toEqual([]);
    const processor = await scrubProcessorFactory.create(config, testContext());
    const metric: Item = {
      kind: "metric",
      type: "gauge",
      name: "x",
      unit: "1",
      value: 1,
      attributes: { email: "a@b.example.com" },
      resource: {},
      scope: { name: "s" },
      time: 0,
    };
    const out = await lastValueFrom(
      of<Item[]>(alert({ summary: "roaster-42 by a@b.example.com" }), metric).pipe(
        processor.operator,
        toArray(),
      ),
    );
    expect(out[0]).toMatchObject({ summary: "[roaster] by [email]" });
    expect(out[1]).toBe(metric);
    expect(processor.status?.()).toEqual({ enabled: true, scrubbed: 1 });
    const bad = scrubProcessorFactory.configSchema.parse({ extra_patterns: [{ regex: "(" }] });
    expect(scrubProcessorFactory.validate?.(bad)[0]?.path).toEqual(["extra_patterns", 0, "regex"]);
  });

  it("accepts extra patterns programmatically", () => {
    const s = createScrubber([{ name: "emp", regex: /EMP\d{4}/g, replace: "[employee]" }]);
    expect(s.text("by EMP1234 and x@y.example.com")).toBe("by [employee] and [email]");
  });
});
