// attributeReader compiles one function per key: any key text (quotes, backslashes, line
// separators, template syntax) must read exactly what the shared lookupAttribute reads.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { attributeKeys, attributeReader, labelName, lookupAttribute } from "../processors/rules/matchers.ts";

describe("attributeReader", () => {
  it("reads point attributes first, then the resource, for awkward keys", () => {
    for (const key of [
      'a"b',
      "back\\slash",
      "line\u2028sep",
      "`${process.exit(1)}`",
      "ünï.côdé",
      '"]; process.exit(1); ["',
    ]) {
      const read = attributeReader(key);
      expect(read({ [key]: "own" }, { [key]: "res" })).toBe("own");
      expect(read({}, { [key]: 7 })).toBe(7);
      expect(read({ other: 1 }, {})).toBeUndefined();
    }
  });

  it("reads alternatives in order: the first name on the point or resource, then the next", () => {
    const read = attributeReader(["system.memory.state", "state"]);
    expect(read({ "system.memory.state": "used", state: "free" }, {})).toBe("used");
    expect(read({ state: "free" }, { "system.memory.state": "used" })).toBe("used");
    expect(read({ state: "free" }, {})).toBe("free");
    expect(read({}, { state: "cached" })).toBe("cached");
    expect(read({}, {})).toBeUndefined();
    expect(attributeKeys("system.filesystem.mountpoint|mountpoint")).toEqual([
      "system.filesystem.mountpoint",
      "mountpoint",
    ]);
    expect(labelName("system.filesystem.mountpoint|mountpoint")).toBe("system.filesystem.mountpoint");
  });

  it("agrees with lookupAttribute on arbitrary keys and values", () => {
    const value = fc.oneof(fc.string(), fc.integer(), fc.boolean());
    fc.assert(
      fc.property(
        fc.string(),
        fc.dictionary(fc.string(), value),
        fc.dictionary(fc.string(), value),
        fc.option(value, { nil: undefined }),
        (key, attributes, resource, own) => {
          const a = own === undefined ? attributes : { ...attributes, [key]: own };
          expect(attributeReader(key)(a, resource)).toEqual(lookupAttribute(a, resource, key));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("alternatives agree with the first defined lookupAttribute, for arbitrary keys", () => {
    const value = fc.oneof(fc.string(), fc.integer(), fc.boolean());
    fc.assert(
      fc.property(
        fc.array(fc.string(), { minLength: 1, maxLength: 4 }),
        fc.dictionary(fc.string(), value),
        fc.dictionary(fc.string(), value),
        (keys, attributes, resource) => {
          const expected = keys
            .map((k) => lookupAttribute(attributes, resource, k))
            .find((v) => v !== undefined);
          expect(attributeReader(keys)(attributes, resource)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
