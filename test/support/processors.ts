// Building processors from their factories the way the loader does: parse, validate, create.
import type { ComponentFactory } from "../../src/component.ts";
import { testContext } from "./context.ts";
import type { VirtualClock } from "./virtual-clock.ts";

export async function build<C, P>(
  factory: ComponentFactory<"processor", C> & { create(config: C, ...rest: never[]): P | Promise<P> },
  id: string,
  raw: unknown,
  clock: VirtualClock,
): Promise<P> {
  const config = factory.configSchema.parse(raw);
  const issues = factory.validate?.(config) ?? [];
  if (issues.length > 0) throw new Error(issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  return (await factory.create(config, testContext({ id, scheduler: clock.scheduler }) as never)) as P;
}
