// The notations of rule test files: promtool's expanding notation, the histogram form, series
// names with OpenTelemetry dots, durations.
import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../src/config/duration.ts";
import { NotationError, parseHistogramValues, parseNumberValues } from "../src/rules-test/notation.ts";
import { parseSeriesName } from "../src/rules-test/series.ts";

describe("expanding notation", () => {
  it("expands every promtool form", () => {
    expect(parseNumberValues("7")).toEqual([7]);
    expect(parseNumberValues("1+2x3")).toEqual([1, 3, 5, 7]);
    expect(parseNumberValues("10-2x2")).toEqual([10, 8, 6]);
    expect(parseNumberValues("5x2")).toEqual([5, 5, 5]);
    expect(parseNumberValues("_ 1 _x2 stale")).toEqual(["missing", 1, "missing", "missing", "stale"]);
    expect(parseNumberValues("-1.5+0.5x2 1e2")).toEqual([-1.5, -1, -0.5, 100]);
    expect(parseNumberValues("  90 90\n 20x1 ")).toEqual([90, 90, 20, 20]);
  });

  it("rejects what is not expanding notation, naming the token", () => {
    for (const bad of ["1+2x", "1+2", "x3", "one", "1++2x3", "1+2x3.5", "Inf", "NaN", "1x-2", "__"]) {
      expect(() => parseNumberValues(`0 ${bad} 1`), bad).toThrow(NotationError);
      expect(() => parseNumberValues(`0 ${bad} 1`), bad).toThrow(`"${bad}"`);
    }
    expect(() => parseNumberValues("   ")).toThrow("no values");
    expect(() => parseNumberValues("0+1x99999999")).toThrow("more than");
  });
});

describe("histogram notation", () => {
  const bounds = [1, 5];

  it("reads buckets, count, sum, min and max; count defaults to the buckets' total", () => {
    expect(parseHistogramValues("{{buckets:[1 2 3] sum:10.5 min:0.1 max:7}}", bounds)).toEqual([
      { buckets: [1, 2, 3], count: 6, sum: 10.5, min: 0.1, max: 7 },
    ]);
    expect(parseHistogramValues("{{count:3 buckets:[1,1,1]}}", bounds)).toEqual([
      { buckets: [1, 1, 1], count: 3 },
    ]);
  });

  it("expands {{A}}+{{B}}xn and {{A}}xn, with gaps and stale between", () => {
    const values = parseHistogramValues(
      "{{buckets:[0 0 0]}}+{{buckets:[2 1 0] sum:3 min:0.5 max:2}}x2 _ {{buckets:[4 2 0] sum:6}}x1 stale",
      bounds,
    );
    expect(values).toEqual([
      { buckets: [0, 0, 0], count: 0 },
      { buckets: [2, 1, 0], count: 3, sum: 3, min: 0.5, max: 2 },
      { buckets: [4, 2, 0], count: 6, sum: 6, min: 0.5, max: 2 },
      "missing",
      { buckets: [4, 2, 0], count: 6, sum: 6 },
      { buckets: [4, 2, 0], count: 6, sum: 6 },
      "stale",
    ]);
  });

  it("keeps lifetime extremes when adding: the larger max, the smaller min", () => {
    const [, , last] = parseHistogramValues(
      "{{buckets:[1 0 0] min:0.5 max:0.5}}+{{buckets:[0 0 1] min:9 max:9}}x2",
      bounds,
    );
    expect(last).toMatchObject({ min: 0.5, max: 9, count: 3 });
  });

  it("rejects malformed histograms, saying what is wrong", () => {
    const cases: [string, string][] = [
      ["{{buckets:[1 2]}}", "2 bucket counts for 2 bounds (give 3"],
      ["{{sum:3}}", "buckets:[…] is required"],
      ["{{buckets:[1 2 3] count:5}}", "count:5 but the buckets add up to 6"],
      ["{{buckets:[1 2 3] avg:2}}", 'unknown field "avg"'],
      ["{{buckets:[1 -2 3]}}", "is not a count"],
      ["{{buckets:[1 2 3]}}+{{buckets:[1 1 1]}}", "needs a repeat count"],
      ["{{buckets:[1 2 3]", "unclosed {{"],
      ["{{buckets:[1 2 3] sum:x}}", "sum:x is not a number"],
      ["12", "is not histogram notation"],
    ];
    for (const [text, message] of cases)
      expect(() => parseHistogramValues(text, bounds), text).toThrow(message);
  });
});

describe("series names", () => {
  it("reads OpenTelemetry names with dots and quoted attribute values", () => {
    expect(parseSeriesName('pipeline.rpc.calls{rpc.method="upsert",error.type="timeout"}')).toEqual({
      metric: "pipeline.rpc.calls",
      attributes: { "rpc.method": "upsert", "error.type": "timeout" },
    });
    expect(parseSeriesName("system.memory.utilization")).toEqual({
      metric: "system.memory.utilization",
      attributes: {},
    });
    expect(parseSeriesName(` m { a.b = 'x y' , c="q\\"uote\\n" , } `)).toEqual({
      metric: "m",
      attributes: { "a.b": "x y", c: 'q"uote\n' },
    });
  });

  it("rejects matchers, unquoted values and stray text, with the column", () => {
    expect(() => parseSeriesName('m{a=~"x"}')).toThrow("not matchers");
    expect(() => parseSeriesName("m{a=x}")).toThrow("expected a quoted value for a at column 5");
    expect(() => parseSeriesName('m{a="x"')).toThrow('expected "," or "}"');
    expect(() => parseSeriesName('m{a="x}')).toThrow("unclosed quote");
    expect(() => parseSeriesName('m{a="x"} extra')).toThrow("unexpected text");
    expect(() => parseSeriesName('m{a="1",a="2"}')).toThrow("a given twice");
    expect(() => parseSeriesName('{a="1"}')).toThrow("expected a name");
  });
});

describe("durations", () => {
  it("reads Prometheus durations and prints them back", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("2d")).toBe(172_800_000);
    expect(parseDuration("0")).toBe(0);
    for (const bad of ["", "5", "m", "5 m", "1h-5m", "5min"]) expect(parseDuration(bad), bad).toBeUndefined();
    expect(formatDuration(5_400_000)).toBe("1h30m");
    expect(formatDuration(150_000)).toBe("2m30s");
    expect(formatDuration(0)).toBe("0s");
  });
});
