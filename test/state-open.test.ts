// Choosing the backend: spec parsing, precedence of ALERTPIPE_STATE, and redaction for display.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_RUN_STATE_SPEC,
  describeStateSpec,
  openStateStore,
  parseStateSpec,
  resolveStateSpec,
  stateSpecSchema,
} from "../src/state/open.ts";

describe("state spec", () => {
  it("parses the three backends and rejects anything else", () => {
    expect(parseStateSpec("memory")).toEqual({ backend: "memory" });
    expect(parseStateSpec("sqlite:.alertpipe/state.db")).toEqual({
      backend: "sqlite",
      path: ".alertpipe/state.db",
    });
    expect(parseStateSpec("redis://127.0.0.1:6379/2")).toEqual({
      backend: "redis",
      url: "redis://127.0.0.1:6379/2",
    });
    for (const bad of ["", "sqlite:", "postgres://x", "mem", "redis://"])
      expect(parseStateSpec(bad)).toBeUndefined();
    expect(stateSpecSchema.safeParse("sqlite:/var/lib/alertpipe.db").success).toBe(true);
    expect(stateSpecSchema.safeParse("file:x").success).toBe(false);
  });

  it("takes ALERTPIPE_STATE over pipeline.yaml over the command default", () => {
    expect(resolveStateSpec({ ALERTPIPE_STATE: "memory" }, "sqlite:a.db", DEFAULT_RUN_STATE_SPEC)).toBe(
      "memory",
    );
    expect(resolveStateSpec({ ALERTPIPE_STATE: " " }, "sqlite:a.db", DEFAULT_RUN_STATE_SPEC)).toBe(
      "sqlite:a.db",
    );
    expect(resolveStateSpec({}, undefined, DEFAULT_RUN_STATE_SPEC)).toBe("sqlite:.alertpipe/state.db");
  });

  it("never shows redis credentials, not even in errors", async () => {
    expect(describeStateSpec("redis://user:hunter2@cache.internal:6380/1")).toBe(
      "redis://cache.internal:6380/1",
    );
    const error = await openStateStore("redis:/user:hunter2@bad", {
      logger: pino({ level: "silent" }),
    }).catch((caught: unknown) => caught as Error);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toMatch(/invalid state spec/);
    expect(String((error as Error).message)).not.toContain("hunter2");
  });
});
