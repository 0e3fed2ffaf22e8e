// Redis helpers for the state tests: the local server on 127.0.0.1:6379, a random key prefix per
// test (cleaned up afterwards), and a loud failure instead of a skip when CI=true.
import { randomBytes } from "node:crypto";
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
