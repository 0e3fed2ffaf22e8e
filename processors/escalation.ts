// `escalation` processor: an alert of an escalating severity (critical by default) still firing
// `delay` minutes after its first notice is emitted again as `escalated` on the escalation route,
// and again at each further level. A resolve cancels what is pending. Place it after cooldown.
import type { Logger } from "pino";
import type { SchedulerLike, Subscription } from "rxjs";
import { z } from "zod";
import { defineFactory, type Processor } from "../src/component.ts";
import type { Alert, Item } from "../src/signal.ts";
import { positiveNumber, severitySchema } from "./rules/schema.ts";
import { Outlets, statefulProcessor } from "./rules/stream.ts";

const minutes = () => positiveNumber("expected a positive number of minutes");

export const escalationConfigSchema = z.strictObject({
  /** Minutes after the first notice (used when `levels` is empty). */
  delay: minutes().default(15),
  /** Minutes after the first notice for each level, ascending; empty = [delay]. */
  levels: z.array(minutes()).default([]),
  severities: z.array(severitySchema).min(1).default(["critical"]),
  route: z.string().min(1).default("escalation"),
});
export type EscalationConfig = z.output<typeof escalationConfigSchema>;

interface Tracked {
  alert: Alert;
  readonly firstNoticeAt: number;
  /** Levels already sent. */
  level: number;
  timer?: Subscription;
}

/** All escalation state in one object (a later StateStore persists this). */
export class EscalationState {
  readonly tracked = new Map<string, Tracked>();
  escalated = 0;
  cancelled = 0;
}

export interface EscalationProcessor extends Processor {
  readonly state: EscalationState;
  status(): {
    tracked: number;
    pending_escalations: number;
    escalated: number;
    cancelled: number;
    levels_minutes: number[];
  };
  shutdown(): Promise<void>;
}

export function createEscalation(
  config: EscalationConfig,
  scheduler: SchedulerLike,
  logger: Logger,
): EscalationProcessor {
  const state = new EscalationState();
  const outlets = new Outlets();
  const levels = config.levels.length > 0 ? config.levels : [config.delay];
  const severities = new Set(config.severities);

  const arm = (fingerprint: string, t: Tracked) => {
    const minutesAt = levels[t.level];
    if (minutesAt === undefined) return;
    const due = t.firstNoticeAt + minutesAt * 60_000;
    t.timer = scheduler.schedule(() => fire(fingerprint), Math.max(0, due - scheduler.now()));
  };

  const fire = (fingerprint: string) => {
    const t = state.tracked.get(fingerprint);
    if (!t) return;
    t.timer = undefined;
    const minutesAt = levels[t.level] as number;
    t.level++;
    state.escalated++;
    const escalated: Alert = {
      ...t.alert,
      status: "escalated",
      escalationLevel: t.level,
      route: config.route,
      at: scheduler.now(),
      details: { ...t.alert.details, escalated_after_minutes: minutesAt },
    };
    logger.debug({ fingerprint, level: t.level }, "alert escalated");
    outlets.next(escalated);
    arm(fingerprint, t);
  };

  const handle = (item: Item, emit: (item: Item) => void) => {
    emit(item);
    if (item.kind !== "alert") return;
    const t = state.tracked.get(item.fingerprint);
    if (item.status === "resolved") {
      if (t) {
        t.timer?.unsubscribe();
        state.tracked.delete(item.fingerprint);
        if (t.level < levels.length) state.cancelled++;
      }
      return;
    }
    if (item.status !== "firing" || !severities.has(item.severity)) return;
    if (t) {
      t.alert = item; // newer values for the eventual escalation; the clock keeps the first notice
      return;
    }
    const fresh: Tracked = { alert: item, firstNoticeAt: scheduler.now(), level: 0 };
    state.tracked.set(item.fingerprint, fresh);
    arm(item.fingerprint, fresh);
  };

  return {
    state,
    ...statefulProcessor(outlets, logger, handle),
    status() {
      let pending = 0;
      for (const t of state.tracked.values()) if (t.level < levels.length) pending++;
      return {
        tracked: state.tracked.size,
        pending_escalations: pending,
        escalated: state.escalated,
        cancelled: state.cancelled,
        levels_minutes: levels,
      };
    },
    async shutdown() {
      for (const t of state.tracked.values()) t.timer?.unsubscribe();
    },
  };
}

export const escalationFactory = defineFactory({
  kind: "processor",
  type: "escalation",
  configSchema: escalationConfigSchema,
  validate(config) {
    for (let i = 1; i < config.levels.length; i++) {
      if ((config.levels[i] as number) <= (config.levels[i - 1] as number)) {
        return [{ path: ["levels", i], message: "expected levels in ascending minutes" }];
      }
    }
    return [];
  },
  create: (config, context): EscalationProcessor =>
    createEscalation(config, context.scheduler, context.logger),
});
