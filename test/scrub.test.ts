// Scrubbing corpus: PII and secrets that must go, and look-alikes that must stay.
import { lastValueFrom, of, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import { renderAlert } from "../exporters/slack-blocks.ts";
import { scrubProcessorFactory } from "../processors/scrub.ts";
import { luhnValid } from "../src/scrub/patterns.ts";
import { createScrubber, defaultScrubber } from "../src/scrub/scrub.ts";
import type { Alert, ErrorEvent, Item } from "../src/signal.ts";
import { testContext } from "./support/context.ts";
import { disk, incidentNotices, memory } from "./support/incident-fixtures.ts";
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
  // Issue 10.5: what reached Slack or Sentry.
  ["jane%40example.com", "[email]"],
  ["https://shop.example/u?email=jane%40example.com&x=1", "https://shop.example/u?email=[email]&x=1"],
  ["0044 20 7946 0958", "[phone]"],
  ["4155550132", "[phone]"],
  ["call 4155550132 after 5", "call [phone] after 5"],
  ["phone number: 4155550132", "phone number: [phone]"],
  ["1-800-555-0199", "[phone]"],
  ["toll free 1 800 555 0199.", "toll free [phone]."],
  ["4111.1111.1111.1111", "[card]"],
  ["Cookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=dark", "Cookie: [token]"],
  ["set-cookie: sid=abc123; Path=/; HttpOnly", "set-cookie: [token]"],
  ["session_id=8f14e45fceea167a", "session_id=[token]"],
  ["jörg.müller@bücher.de wrote", "[email] wrote"],
  ["用户@例子.广告", "[email]"],
  ["josé@xn--bcher-kva.example", "[email]"],
  [
    "https://shop.example/checkout?phone=4155550132&step=2",
    "https://shop.example/checkout?phone=[phone]&step=2",
  ],
  ['{"mobile_number": "+1 415 555 0132"}', '{"mobile_number": "[phone]"}'],
  ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "[token]"],
  ["secret in log: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.", "secret in log: [token]."],
  [
    "DefaultEndpointsProtocol=https;AccountName=roasters;AccountKey=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy+/==;EndpointSuffix=core.windows.net",
    "DefaultEndpointsProtocol=https;AccountName=roasters;AccountKey=[token];EndpointSuffix=core.windows.net",
  ],
  [
    "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=c2VjcmV0a2V5Zm9yYXp1cmU=",
    "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=[token]",
  ],
  [
    "https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sig=AbC%2Fdef%3D&se=2025",
    "https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sig=[token]&se=2025",
  ],
  // Credential formats after gitleaks' rule list (synthetic values, shapes only).
  [`sk-ant-api03-${"a".repeat(20)}B1c2D3e4F5g6H7i8J9k0`, "[token]"],
  [`sk-proj-${"Ab1".repeat(10)}T3BlbkFJ${"xY9".repeat(8)}`, "[token]"],
  ["rk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "[token]"],
  ["gho_" + "16C7e42F292c6912E7710c838347Ae178B4a", "[token]"],
  ["github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "[token]"],
  ["glpat-" + "xK9mZq2RtY7vN4bW1cLs", "[token]"],
  ["npm_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "[token]"],
  ["pypi-AgEIcHlwaS5vcmc" + "CJGI0ZTZhMGJkLTE2NDQtNGQ3OC1hOTk2LWE2YzI4ZGM4ZWI2MwACJXsicGVybWl", "[token]"],
  ["ya29." + "a0AfH6SMBx3kQ9zR_7tLp2VnYw8", "[token]"],
  ["secret " + "abc8Q~" + "Zx7Yw6Vu5Ts4Rq3Po2Nm1Lk0JiHgFeDcBa", "secret [token]"],
  ["SG." + "ngeVfQFYQlKU0ufo8x5d1A" + "." + "TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr", "[token]"],
  ["SK" + "0123456789abcdef0123456789abcdef", "[token]"],
  ["shpat_" + "0123456789abcdef0123456789abcdef", "[token]"],
  [`dop_v1_${"0123456789abcdef".repeat(4)}`, "[token]"],
  [`hvs.${"CAESI".repeat(19)}`, "[token]"],
  [`abcdefghijklmn.atlasv1.${"x".repeat(64)}`, "[token]"],
  ["hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", "[token]"],
  ["lin_api_" + "0123456789abcdefghij0123456789ABCDEFGHIJ", "[token]"],
  ["PMAK-" + "0123456789abcdef01234567" + "-" + "0123456789abcdef0123456789abcdef01", "[token]"],
  ["pul-" + "0123456789abcdef0123456789abcdef01234567", "[token]"],
  ["dp.pt." + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfG", "[token]"],
  ["dapi" + "0123456789abcdef0123456789abcdef", "[token]"],
  ["glsa_" + "AbCdEfGhIjKlMnOpQrStUvWxYz012345" + "_" + "0a1b2c3d", "[token]"],
  [`sntryu_${"0123456789abcdef".repeat(4)}`, "[token]"],
  ["NRAK-" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ0", "[token]"],
  [`dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.${"a".repeat(64)}`, "[token]"],
  ["sq0atp-" + "AbCdEfGhIjKlMnOpQrStUv", "[token]"],
  [`AGE-SECRET-KEY-1${"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L".repeat(2).slice(0, 58)}`, "[token]"],
  ["0123456789abcdef0123456789abcdef-us21", "[token]"],
  ["bot 123456789:AA" + "HdqTcvCH1vGWJxfSeofSAs0K5PALDsawx", "bot [token]"],
  ["sha256~" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdE", "[token]"],
  ["pplx-" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKl", "[token]"],
  ["pscale_tkn_" + "AbCdEfGhIjKlMnOpQrStUvWxYz012345", "[token]"],
  ["LTAI" + "AbCdEfGhIjKlMnOpQrSt", "[token]"],
  ["https://discord.com/api/webhooks/123456789012345678/AbC-dEf_123", "[token]"],
  ["-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----", "[token]"],
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
  // Ordinary numbers: counts, timestamps, percentages, durations, ids.
  "processed 2500000000 rows",
  "took 3456789012 ns",
  "1736933400",
  "elapsed 123456789 ms",
  "duration_ms=1500",
  "availability 99.95 %",
  "roaster.id=4242",
  "roaster.id=blue-bottle platform=shopify",
  "build 2025.01.15.1",
  "order 4111.1111.1111.1112 (fails Luhn)",
  "telemetry 4155550132",
  "batch 20250115093000",
  // Hashes and paths are not AWS keys: one case only, or many slashes.
  "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709",
  "at /srv/app/Build2/Release/ModuleLoader/Resolve/Core",
  "digest 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
  // Words that sound like secrets or PII.
  "session timeout 30 s",
  "cookies disabled",
  "TypeError",
  "shopify",
  "phone lookup failed",
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

  it("scrubs every member of an incident, keeping the incident's id, offsets and reasons", () => {
    const owned = disk("h1", "firing", 20_000);
    const [, update] = incidentNotices([
      memory("h1"),
      {
        ...owned,
        labels: { ...owned.labels, owner: "bob@example.com" },
        summary: "full, ask bob@example.com",
      },
    ]);
    const s = defaultScrubber.item(update as Alert);
    expect(s.incident?.id).toBe(update?.incident?.id);
    expect(
      s.incident?.members.map((m) => [m.offsetMs, m.reason, m.alert.labels.owner, m.alert.summary]),
    ).toEqual([
      [0, undefined, undefined, 'memory_usage{host.name="h1"} firing'],
      [20_000, "shared host.name=h1 (with memory_usage)", "[email]", "full, ask [email]"],
    ]);
    expect(s.summary).not.toContain("bob@example.com");
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
      spanId: "00f067aa0ba902b7",
      time: 0,
    };
    const s = defaultScrubber.item(e);
    expect(s.error.message).toBe("bad key [token] for [email]");
    expect(s.error.stack).toBe("AuthError: bad key [token]\n    at call (/app/llm.ts:10:3)");
    expect(s.pipelineState).toEqual({ step: "enrich", contact: "[phone]", nested: { card: "[card]" } });
    expect(s.user).toEqual({ email: "[email]", user_id: "admin" });
    expect(s.traceId).toBe(e.traceId);
    expect(s.spanId).toBe("00f067aa0ba902b7");
    // No key is exempt: a card number is scrubbed even where an id belongs.
    expect(defaultScrubber.item({ ...e, spanId: "4111111111111111" }).spanId).toBe("[card]");
  });

  it("exempts no key: a platform label, an exception type, a number under any key are scrubbed", () => {
    const a = defaultScrubber.item(
      alert({
        labels: {
          platform: "jane@example.com",
          status: "call 4155550132",
          kind: "x",
          type: "bob@example.com",
        },
        details: { "card.number": 4111111111111111, count: 4111111111111112, at: 1736933400000 },
        value: 4111111111111111,
      }),
    );
    expect(a.labels).toEqual({ platform: "[email]", status: "call [phone]", kind: "x", type: "[email]" });
    // A Luhn-valid card number sent as an integer (an OTLP intValue) becomes text; ordinary numbers stay.
    expect(a.details).toEqual({ "card.number": "[card]", count: 4111111111111112, at: 1736933400000 });
    expect(a.value).toBe("[card]");
    expect(a.startsAt).toBe(alert().startsAt);
    const rendered = JSON.stringify(renderAlert(a, { environment: "test", mentionChannel: false }));
    for (const leak of ["jane@example.com", "4155550132", "4111111111111111", "bob@example.com"])
      expect(rendered).not.toContain(leak);
    const e = defaultScrubber.item<ErrorEvent>({
      kind: "error",
      error: { type: "CardDeclined:4111111111111111", message: "x" },
      component: "c",
      attributes: { "payment.card": 4111111111111111, platform: "jane@example.com" },
      time: 0,
    });
    expect(e.error.type).toBe("CardDeclined:[card]");
    expect(e.attributes).toEqual({ "payment.card": "[card]", platform: "[email]" });
  });

  it("scrubs objects with a null or polluted prototype, and survives cycles", () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { email: "jane@example.com" });
    const inherited = Object.assign(
      Object.create({ injected: "bob@example.com" }) as Record<string, unknown>,
      {
        phone: "+44 20 7946 0958",
      },
    );
    const polluted = JSON.parse(
      '{"__proto__": {"polluted": "ann@example.com"}, "note": "x@example.com"}',
    ) as object;
    const cyclic: Record<string, unknown> = { email: "cy@example.com" };
    cyclic.self = cyclic;
    const out = defaultScrubber.value({ bare, inherited, polluted, cyclic }) as Record<
      string,
      Record<string, unknown>
    >;
    expect(out.bare).toEqual({ email: "[email]" });
    expect(out.inherited).toEqual({ phone: "[phone]" });
    expect(JSON.stringify(out.polluted)).toBe('{"__proto__":{"polluted":"[email]"},"note":"[email]"}');
    expect(Object.getPrototypeOf(out.polluted)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(out.cyclic).toEqual({ email: "[email]", self: "[removed]" });
    expect(JSON.stringify(out)).not.toMatch(/@example\.com/);
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
