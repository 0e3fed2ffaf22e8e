// Helpers for the store-backed processor tests: a processor built from its factory with a
// StateStore in its context, wired to a Subject, with everything it emits collected.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { pino } from "pino";
import { type SchedulerLike, Subject, type Subscription } from "rxjs";
import type { ComponentFactory, Processor } from "../src/component.ts";
import type { Alert, Digest, Item } from "../src/signal.ts";
import type { StateStore } from "../src/state/store.ts";
import { redisReachable } from "./state-redis-support.ts";

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

/** A free TCP port: redis-server cannot listen on port 0, so ask the OS for one first. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** A disposable redis-server child on `port` (no persistence). */
export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
    { stdio: "ignore" },
  );
  await until(() => redisReachable(`redis://127.0.0.1:${port}/0`), `redis-server on ${port}`);
  return child;
}

export async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

/** Poll a condition in real time (waits for round trips and processes; asserts nothing about speed). */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
