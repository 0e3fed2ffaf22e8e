// Helpers for the store-backed processor tests: a processor built from its factory with a
// StateStore in its context, wired to a Subject, with everything it emits collected.
import type { Logger } from "pino";
import { pino } from "pino";
import { type SchedulerLike, Subject, type Subscription } from "rxjs";
import type { ComponentFactory, Processor } from "../src/component.ts";
import type { Alert, Digest, Item } from "../src/signal.ts";
import type { StateStore } from "../src/state/store.ts";

export interface Wired<P> {
  readonly processor: P;
  readonly input: Subject<Item>;
  readonly out: Array<{ at: number; item: Item }>;
  readonly subscription: Subscription;
  /** Alerts that went out, each digest's alerts included. */
  notices(): Alert[];
  digests(): Digest[];
}

/** A processor built from its factory the way the loader does, with `state` in its context. */
export async function create<C, P extends Processor>(
  factory: ComponentFactory<"processor", C>,
  raw: unknown,
  options: { scheduler: SchedulerLike; state?: StateStore; id?: string; logger?: Logger },
): Promise<P> {
  const config = factory.configSchema.parse(raw);
  return (await factory.create(config, {
    id: options.id ?? "p",
    scheduler: options.scheduler,
    logger: options.logger ?? pino({ level: "silent" }),
    configDir: process.cwd(),
    env: {},
    ...(options.state ? { state: options.state } : {}),
  })) as P;
}

export async function wire<C, P extends Processor>(
  factory: ComponentFactory<"processor", C>,
  raw: unknown,
  options: { scheduler: SchedulerLike; state?: StateStore; id?: string; logger?: Logger },
): Promise<Wired<P>> {
  const processor = await create<C, P>(factory, raw, options);
  const input = new Subject<Item>();
  const out: Array<{ at: number; item: Item }> = [];
  const subscription = input
    .pipe(processor.operator)
    .subscribe((item) => out.push({ at: options.scheduler.now(), item }));
  return {
    processor,
    input,
    out,
    subscription,
    notices: () =>
      out.flatMap(({ item }) => (item.kind === "alert" ? [item] : item.kind === "digest" ? item.alerts : [])),
    digests: () => out.flatMap(({ item }) => (item.kind === "digest" ? [item] : [])),
  };
}

export { freePort, startRedis, stopRedis, until } from "./state-redis-support.ts";
