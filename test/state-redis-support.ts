// Redis helpers for the state tests: the local server on 127.0.0.1:6379, a random key prefix per
// test (cleaned up afterwards), and a loud failure instead of a skip when CI=true.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";

export const REDIS_URL = "redis://127.0.0.1:6379/0";

export async function redisReachable(url = REDIS_URL): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Whether to run Redis tests; throws when CI=true and Redis is unreachable. */
export async function requireRedis(): Promise<boolean> {
  const reachable = await redisReachable();
  if (!reachable && process.env.CI === "true") {
    throw new Error(`CI=true but Redis is unreachable at ${REDIS_URL}: state tests need it`);
  }
  return reachable;
}

export function randomPrefix(): string {
  return `alertpipe-test:${randomBytes(6).toString("hex")}:`;
}

/** Delete every key under the prefix. */
export async function cleanupPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const client = new Redis(url, { lazyConnect: true });
  client.on("error", () => {});
  await client.connect();
  try {
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== "0");
  } finally {
    client.disconnect();
  }
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

/**
 * A disposable redis-server child on `port`, for outage tests. With `persistDir` it keeps an
 * append-only file there, so a restart on the same port finds its data again.
 */
export async function startRedis(port: number, persistDir?: string): Promise<ChildProcess> {
  const persistence = persistDir
    ? ["--appendonly", "yes", "--appendfsync", "always", "--dir", persistDir]
    : ["--appendonly", "no"];
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--daemonize", "no", ...persistence],
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
