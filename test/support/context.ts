import { pino } from "pino";
import { asyncScheduler, type SchedulerLike } from "rxjs";
import type { ComponentContext } from "../../src/component.ts";

/** A component context for tests: silent logger, given scheduler (virtual time), env and state store. */
export function testContext(
  overrides: Partial<Omit<ComponentContext, "env">> & { env?: Record<string, string | undefined> } = {},
): ComponentContext {
  return {
    id: overrides.id ?? "test",
    scheduler: overrides.scheduler ?? (asyncScheduler as SchedulerLike),
    logger: overrides.logger ?? pino({ level: "silent" }),
    configDir: overrides.configDir ?? process.cwd(),
    env: overrides.env ?? {},
    ...(overrides.state ? { state: overrides.state } : {}),
  };
}
