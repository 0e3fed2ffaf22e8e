// `cooldown` processor: per alert fingerprint, a firing notified within its rule's cooldown is not
// notified again. A suppressed firing still firing when the cooldown ends is released then (so a
// real re-fire is never lost); its resolve is dropped if the firing never went out. Resolves of
// notified firings, escalations and every non-alert item pass.
import type { Logger } from "pino";
import type { SchedulerLike, Subscription } from "rxjs";
import { z } from "zod";
import { defineFactory, type Processor } from "../src/component.ts";
import type { Alert, Item } from "../src/signal.ts";
import { nonNegativeNumber } from "./rules/schema.ts";
import { Outlets, statefulProcessor } from "./rules/stream.ts";

const minutes = () => nonNegativeNumber("expected a non-negative number of minutes");

export const cooldownConfigSchema = z.strictObject({
  /** Minutes for rules not listed in `rules`. */
  default: minutes().default(5),
  /** Minutes per rule name, fractions allowed (0.5 = 30 s). */
  rules: z.record(z.string(), minutes()).default({}),
});
export type CooldownConfig = z.output<typeof cooldownConfigSchema>;

interface CooldownEntry {
  readonly rule: string;
  until: number;
  /** A firing suppressed during the cooldown, released at `until` if no resolve came first. */
  held?: Alert;
  timer?: Subscription;
}

/** All cooldown state in one object (a later StateStore persists this). */
export class CooldownState {
  readonly entries = new Map<string, CooldownEntry>();
  suppressed = 0;
  passed = 0;
  released = 0;
}

export interface CooldownProcessor extends Processor {
  readonly state: CooldownState;
  status(): {
    active_cooldowns: number;
    cooldowns: { fingerprint: string; rule: string; until: string }[];
    suppressed: number;
    passed: number;
    released: number;
  };
  shutdown(): Promise<void>;
}

export function createCooldown(
  config: CooldownConfig,
  scheduler: SchedulerLike,
  logger: Logger,
): CooldownProcessor {
  const state = new CooldownState();
  const outlets = new Outlets();
  const durationMs = (rule: string) => (config.rules[rule] ?? config.default) * 60_000;

  const prune = (now: number) => {
    for (const [fp, e] of state.entries) if (e.until <= now && !e.held) state.entries.delete(fp);
  };

  const release = (fingerprint: string) => {
    const e = state.entries.get(fingerprint);
    if (!e?.held) return;
    const now = scheduler.now();
    const alert: Alert = { ...e.held, at: now };
    e.held = undefined;
    e.timer = undefined;
    e.until = now + durationMs(e.rule);
    state.released++;
    logger.debug({ fingerprint }, "cooldown over; releasing the still-firing alert");
    outlets.next(alert);
  };

  const handle = (item: Item, emit: (item: Item) => void) => {
    if (item.kind !== "alert" || item.status === "escalated") return emit(item);
    const now = scheduler.now();
    const e = state.entries.get(item.fingerprint);
    if (item.status === "resolved") {
      if (e?.held) {
        // The firing never went out: its resolve would announce nothing the reader saw.
        e.timer?.unsubscribe();
        e.held = undefined;
        e.timer = undefined;
        state.suppressed++;
        logger.debug({ fingerprint: item.fingerprint }, "resolve of a suppressed firing dropped");
        return;
      }
      return emit(item);
    }
    if (e && now < e.until) {
      state.suppressed++;
      logger.debug({ fingerprint: item.fingerprint, until: e.until }, "alert suppressed by cooldown");
      if (!e.held) e.timer = scheduler.schedule(() => release(item.fingerprint), e.until - now);
      e.held = item;
      return;
    }
    if (state.entries.size > 1000) prune(now);
    state.entries.set(item.fingerprint, { rule: item.rule, until: now + durationMs(item.rule) });
    state.passed++;
    emit(item);
  };

  return {
    state,
    ...statefulProcessor(outlets, logger, handle),
    status() {
      const now = scheduler.now();
      prune(now);
      const cooldowns = [...state.entries]
        .filter(([, e]) => e.until > now)
        .map(([fingerprint, e]) => ({ fingerprint, rule: e.rule, until: new Date(e.until).toISOString() }));
      return {
        active_cooldowns: cooldowns.length,
        cooldowns,
        suppressed: state.suppressed,
        passed: state.passed,
        released: state.released,
      };
    },
    async shutdown() {
      for (const e of state.entries.values()) e.timer?.unsubscribe();
    },
  };
}

export const cooldownFactory = defineFactory({
  kind: "processor",
  type: "cooldown",
  configSchema: cooldownConfigSchema,
  create: (config, context): CooldownProcessor => createCooldown(config, context.scheduler, context.logger),
});
