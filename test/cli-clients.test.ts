// The `alertpipe silence` and `alertpipe alerts` clients' own parsing: durations as amtool takes
// them, and where they find the collector (ALERTPIPE_STATUS_ENDPOINT, a wildcard bind as loopback).
import { describe, expect, it } from "vitest";
import { defaultApiUrl, table } from "../src/commands/api-client.ts";
import { durationArg } from "../src/commands/silence.ts";

describe("the API clients", () => {
  it("take Prometheus durations", () => {
    expect(durationArg("90s")).toBe(90_000);
    expect(durationArg("1h30m")).toBe(5_400_000);
    expect(durationArg("2d")).toBe(172_800_000);
    for (const bad of ["", "1", "1x", "h", "1h 30m", "0s"])
      expect(() => durationArg(bad), bad).toThrow(/not a duration/);
  });

  it("find the collector where it listens", () => {
    expect(defaultApiUrl({})).toBe("http://127.0.0.1:13133");
    expect(defaultApiUrl({ ALERTPIPE_STATUS_ENDPOINT: "0.0.0.0:9093" })).toBe("http://127.0.0.1:9093");
    expect(defaultApiUrl({ ALERTPIPE_STATUS_ENDPOINT: ":9093" })).toBe("http://127.0.0.1:9093");
    expect(defaultApiUrl({ ALERTPIPE_STATUS_ENDPOINT: "[::1]:9093" })).toBe("http://[::1]:9093");
  });

  it("print tables with padded columns", () => {
    expect(table(["A", "Bb"], [["xyz", "1"]])).toBe("A    Bb\nxyz  1");
  });
});
