// RingWindow against a plain model (every contribution kept, window sums recomputed from
// scratch): the running totals, the slides by ring position, the cached extremes and the coverage
// (history since the first data, restarted when the whole ring went empty) must agree.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RingWindow } from "../processors/rules/window.ts";

const SLOT_MS = 10_000;
const RECENT = 30;

interface Contribution {
  slot: number;
  value: number;
  count: number;
}

/** What the window should report at `head`, from every contribution since `since` (the last full clear). */
function model(all: readonly Contribution[], head: number, totalSlots: number, since: number) {
  const recent = all.filter((c) => c.slot > head - RECENT && c.slot <= head);
  const first = all.find((c) => c.slot >= since)?.slot;
  const base = all.filter((c) => c.slot > head - totalSlots && c.slot <= head - RECENT);
  const sum = (cs: Contribution[]) => cs.reduce((n, c) => n + c.value, 0);
  const count = (cs: Contribution[]) => cs.reduce((n, c) => n + c.count, 0);
  const values = recent.map((c) => c.value);
  return {
    recentSum: sum(recent),
    recentCount: count(recent),
    baseSum: totalSlots > RECENT ? sum(base) : 0,
    baseCount: totalSlots > RECENT ? count(base) : 0,
    max: values.length > 0 ? Math.max(...values) : Number.NaN,
    min: values.length > 0 ? Math.min(...values) : Number.NaN,
    first,
    covered: totalSlots > RECENT && first !== undefined && head - first >= totalSlots,
    recentFromFirst: first === undefined ? 0 : sum(recent.filter((c) => c.slot >= first + 3)),
  };
}

const step = fc.record({
  // Mostly within a slot or a few slots on; sometimes a jump past the whole ring.
  dt: fc.oneof(fc.integer({ min: 0, max: 25_000 }), fc.integer({ min: 0, max: 5_000_000 })),
  value: fc.integer({ min: -50, max: 1000 }),
  read: fc.boolean(),
});

describe("RingWindow ≡ model", () => {
  for (const baselineSlots of [0, 7, 360]) {
    it(`sums, counts and extremes agree (baseline ${baselineSlots} slots)`, () => {
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 300 }), (steps) => {
          const w = new RingWindow(
            { windowMs: SLOT_MS * RECENT, baselineMs: SLOT_MS * baselineSlots, resolution: RECENT },
            { count: true, minMax: true, histogram: false },
          );
          const all: Contribution[] = [];
          let now = 1_000_000;
          let head = Number.NEGATIVE_INFINITY;
          let since = Number.NEGATIVE_INFINITY;
          for (const s of steps) {
            now += s.dt;
            const slot = Math.floor(now / SLOT_MS);
            // A jump past the whole ring empties it: coverage starts again.
            if (slot - head >= RECENT + baselineSlots) since = slot;
            head = Math.max(head, slot);
            if (s.read) {
              w.advance(now);
            } else {
              w.add(now, s.value);
              all.push({ slot, value: s.value, count: 1 });
            }
            const want = model(all, slot, RECENT + baselineSlots, since);
            expect(w.recentSum).toBe(want.recentSum);
            expect(w.recentCount).toBe(want.recentCount);
            expect(w.baseSum).toBe(want.baseSum);
            expect(w.baseCount).toBe(want.baseCount);
            expect(w.recentMax()).toBe(want.max);
            expect(w.recentMin()).toBe(want.min);
            expect(w.firstDataSlot).toBe(want.first);
            expect(w.baselineCovered()).toBe(want.covered);
            if (want.first !== undefined) expect(w.recentSumFrom(want.first + 3)).toBe(want.recentFromFirst);
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  it("a sum-only window (ratios) slides like a counted one", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 300 }), (steps) => {
        const shape = { windowMs: SLOT_MS * RECENT, baselineMs: SLOT_MS * 360, resolution: RECENT };
        const plain = new RingWindow(shape, { count: false, minMax: false, histogram: false });
        const counted = new RingWindow(shape, { count: true, minMax: false, histogram: false });
        let now = 0;
        for (const s of steps) {
          now += s.dt;
          if (s.read) {
            plain.advance(now);
            counted.advance(now);
          } else {
            plain.add(now, s.value);
            counted.add(now, s.value);
          }
          expect([plain.recentSum, plain.baseSum]).toEqual([counted.recentSum, counted.baseSum]);
          expect(plain.baselineCoveredSeconds()).toBe(counted.baselineCoveredSeconds());
        }
      }),
      { numRuns: 150 },
    );
  });
});
