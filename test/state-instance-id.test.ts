// Lease owners name the run that holds them: a restarted instance recognises its previous run (same
// name, that run gone) and no other instance's.
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { instanceNameFromEnv, isPreviousRun, newInstanceId } from "../src/state/instance-id.ts";

describe("instance ids", () => {
  const host = hostname();

  it("are <name>-<pid>-<nonce>, the host by default", () => {
    expect(newInstanceId()).toMatch(new RegExp(`^${host}-${process.pid}-[0-9a-f]{6}$`));
    expect(newInstanceId("alertpipe-0")).toMatch(new RegExp(`^alertpipe-0-${process.pid}-[0-9a-f]{6}$`));
  });

  it("on this host, an earlier run is one whose pid is ours now or no longer runs", () => {
    const self = `${host}-${process.pid}-bbbbbb`;
    expect(isPreviousRun(`${host}-${process.pid}-aaaaaa`, self)).toBe(true);
    expect(isPreviousRun(`${host}-2147483646-aaaaaa`, self)).toBe(true);
    // A live process (our parent) is another instance sharing the store, not a previous run.
    expect(isPreviousRun(`${host}-${process.ppid}-aaaaaa`, self)).toBe(false);
    expect(isPreviousRun(self, self)).toBe(false);
    expect(isPreviousRun(`otherhost-${process.pid}-aaaaaa`, self)).toBe(false);
    expect(isPreviousRun("a", self)).toBe(false);
  });

  it("with a configured name, any other run of that name is an earlier one", () => {
    const self = `alertpipe-0-${process.pid}-bbbbbb`;
    expect(isPreviousRun(`alertpipe-0-${process.ppid}-aaaaaa`, self)).toBe(true);
    expect(isPreviousRun(`alertpipe-1-${process.ppid}-aaaaaa`, self)).toBe(false);
  });

  it("take ALERTPIPE_INSTANCE_ID when it is a plain name, and say which variable is wrong", () => {
    expect(instanceNameFromEnv({})).toBeUndefined();
    expect(instanceNameFromEnv({ ALERTPIPE_INSTANCE_ID: " alertpipe-0 " })).toBe("alertpipe-0");
    expect(() => instanceNameFromEnv({ ALERTPIPE_INSTANCE_ID: "a/b" })).toThrow(
      /^ALERTPIPE_INSTANCE_ID must be 1-63 letters, digits/,
    );
  });
});
