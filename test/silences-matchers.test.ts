// Alertmanager matchers and label names: the text syntax clients send, anchored regexes, missing
// labels as "", and the OTel → Prometheus name normalisation both sides are compared in.
import { describe, expect, it } from "vitest";
import { alertLabelSet, promLabelName, promLabels } from "../src/silences/labels.ts";
import {
  MatcherSyntaxError,
  matcherText,
  matches,
  matchesAll,
  parseMatchers,
} from "../src/silences/matchers.ts";
import { SilenceRegistry } from "../src/silences/registry.ts";
import { silenceDuration, silenceState } from "../src/silences/silence.ts";
import { MemoryStateStore } from "../src/state/memory-store.ts";
import { alert } from "./support/alerts.ts";

describe("label names", () => {
  it("normalise OTel attribute keys to Prometheus form", () => {
    expect(promLabelName("service.name")).toBe("service_name");
    expect(promLabelName("http.response.status-code")).toBe("http_response_status_code");
    expect(promLabelName("0day")).toBe("key_0day");
    expect(promLabels({ "a.b": "1", a_b: "2" })).toEqual({ a_b: "1;2" });
  });

  it("give an alert alertname (its rule), severity, component and its labels", () => {
    const labels = alertLabelSet(
      alert("system_health", "firing", { severity: "critical", labels: { "service.name": "svc-x" } }),
    );
    expect(labels).toEqual({
      alertname: "system_health",
      severity: "critical",
      component: "system",
      service_name: "svc-x",
    });
  });
});

describe("matchers", () => {
  it("parse what amtool and the API filters send", () => {
    expect(
      parseMatchers(['alertname="system_health"', "service_name!=svc-x", 'env=~"prod|stag.*"', "x!~y"]),
    ).toEqual([
      { name: "alertname", value: "system_health", isRegex: false, isEqual: true },
      { name: "service_name", value: "svc-x", isRegex: false, isEqual: false },
      { name: "env", value: "prod|stag.*", isRegex: true, isEqual: true },
      { name: "x", value: "y", isRegex: true, isEqual: false },
    ]);
    expect(parseMatchers(['{a="1, 2", b=~"x\\"y"}'])).toEqual([
      { name: "a", value: "1, 2", isRegex: false, isEqual: true },
      { name: "b", value: 'x"y', isRegex: true, isEqual: true },
    ]);
    expect(matcherText({ name: "a", value: 'q"', isRegex: true, isEqual: false })).toBe('a!~"q\\""');
    for (const bad of ["nooperator", '="x"', "a=~(", '{a="1"']) {
      expect(() => parseMatchers([bad]), bad).toThrow(MatcherSyntaxError);
    }
  });

  it("anchor regexes, read a missing label as empty, and compare names in Prometheus form", () => {
    const labels = { alertname: "system_health", service_name: "svc-x" };
    const [re, otel, absent, notAbsent] = parseMatchers([
      "alertname=~system",
      "service.name=svc-x",
      'team=""',
      "team!=ops",
    ]);
    expect(matches(re as never, labels)).toBe(false);
    expect(matches(otel as never, labels)).toBe(true);
    expect(matches(absent as never, labels)).toBe(true);
    expect(matches(notAbsent as never, labels)).toBe(true);
    expect(matchesAll(parseMatchers(["alertname=~system.*", "service_name=svc-y"]), labels)).toBe(false);
  });
});

describe("the silence registry", () => {
  const input = (endsAt: number, startsAt = 0) => ({
    matchers: parseMatchers(["alertname=x"]),
    startsAt,
    endsAt,
    createdBy: "ops",
    comment: "c",
  });

  it("expires a pending silence before it began, and states follow the clock", async () => {
    const registry = new SilenceRegistry(new MemoryStateStore());
    const pending = await registry.set(input(20_000, 10_000), 0);
    expect(silenceState(pending, 0)).toBe("pending");
    expect(silenceState(pending, 15_000)).toBe("active");
    const expired = await registry.expire(pending.id, 5000);
    expect([expired.startsAt, expired.endsAt, silenceState(expired, 5000)]).toEqual([5000, 5000, "expired"]);
  });

  it("starts a silence posted with a past start now, and refuses one without a creator", async () => {
    const registry = new SilenceRegistry(new MemoryStateStore());
    expect((await registry.set(input(60_000, 0), 1000)).startsAt).toBe(1000);
    expect(() => registry.set({ ...input(60_000), createdBy: " " }, 0)).toThrow(/creator/);
  });

  it("formats how long a silence ran", () => {
    expect(silenceDuration(3_600_000 + 5 * 60_000)).toBe("1h5m");
    expect(silenceDuration(45_400)).toBe("45s");
    expect(silenceDuration(2 * 86_400_000)).toBe("2d");
    expect(silenceDuration(200)).toBe("0s");
  });
});
