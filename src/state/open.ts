// Choosing and opening the state store: `memory`, `sqlite:PATH` or `redis://host:port/db`, from
// ALERTPIPE_STATE or pipeline.yaml; `alertpipe run` defaults to a SQLite file.
import { isAbsolute, resolve } from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import { registerSecret } from "../secrets.ts";
import { newInstanceId } from "./instance-id.ts";
import { MemoryStateStore } from "./memory-store.ts";
import { redactRedisUrl } from "./redis-url.ts";
import type { StateStore } from "./store.ts";

/** Default of `alertpipe run` (relative to the working directory). */
export const DEFAULT_RUN_STATE_SPEC = "sqlite:.alertpipe/state.db";

/** Schema of a state spec as written in ALERTPIPE_STATE or pipeline.yaml. */
export const stateSpecSchema = z.string().refine((spec) => parseStateSpec(spec) !== undefined, {
  message: "state must be `memory`, `sqlite:PATH` or `redis://host:port/db`",
});

export type ParsedStateSpec =
  | { readonly backend: "memory" }
  | { readonly backend: "sqlite"; readonly path: string }
  | { readonly backend: "redis"; readonly url: string };

export function parseStateSpec(spec: string): ParsedStateSpec | undefined {
  const trimmed = spec.trim();
  if (trimmed === "memory") return { backend: "memory" };
  if (trimmed.startsWith("sqlite:")) {
    const path = trimmed.slice("sqlite:".length);
    return path === "" ? undefined : { backend: "sqlite", path };
  }
  if (/^rediss?:\/\//.test(trimmed)) {
    try {
      return new URL(trimmed).hostname === "" ? undefined : { backend: "redis", url: trimmed };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** ALERTPIPE_STATE wins over pipeline.yaml's setting, which wins over the command's default. */
export function resolveStateSpec(
  env: Readonly<Record<string, string | undefined>>,
  configured: string | undefined,
  fallback: string,
): string {
  const fromEnv = env.ALERTPIPE_STATE?.trim();
  return fromEnv ? fromEnv : (configured ?? fallback);
}

/** A spec safe to show: redis credentials removed. */
export function describeStateSpec(spec: string): string {
  const parsed = parseStateSpec(spec);
  if (parsed?.backend === "redis") return redactRedisUrl(parsed.url);
  // Unparseable specs may still carry user:password@ — mask it.
  return spec.replace(/[^:/@\s]*:[^@\s]*@/g, "***@");
}

export interface OpenStateStoreOptions {
  readonly logger: Logger;
  /** Identifies this run as lease owner and in status; default host-pid-random (see instance-id.ts). */
  readonly instanceId?: string;
  /** Base for a relative sqlite path (default: the working directory). */
  readonly baseDir?: string;
  /** Redis key prefix (default "alertpipe:", or `?prefix=` in the URL). */
  readonly keyPrefix?: string;
  /** The pipeline's clock (scheduler.now), for times the store reports on its own (degraded since). */
  readonly now?: () => number;
}

export async function openStateStore(spec: string, options: OpenStateStoreOptions): Promise<StateStore> {
  const parsed = parseStateSpec(spec);
  if (!parsed) {
    throw new Error(
      `invalid state spec ${JSON.stringify(describeStateSpec(spec))}: use memory, sqlite:PATH or redis://host:port/db`,
    );
  }
  const instanceId = options.instanceId ?? defaultInstanceId();
  switch (parsed.backend) {
    case "memory":
      return new MemoryStateStore({ instanceId });
    case "sqlite": {
      const path =
        parsed.path === ":memory:" || isAbsolute(parsed.path)
          ? parsed.path
          : resolve(options.baseDir ?? process.cwd(), parsed.path);
      // Loaded on demand: node:sqlite prints an ExperimentalWarning on import in Node 22.
      const { SqliteStateStore } = await import("./sqlite-store.ts");
      const file = new SqliteStateStore({ path, instanceId });
      if (file.migratedFrom >= 0 && file.migratedFrom < file.status().schema_version) {
        options.logger.info({ path, from: file.migratedFrom }, "state file migrated to the current schema");
      }
      const { GuardedSqliteStore } = await import("./sqlite-guard.ts");
      return new GuardedSqliteStore(file, {
        logger: options.logger,
        ...(options.now ? { now: options.now } : {}),
      });
    }
    case "redis": {
      registerRedisSecrets(parsed.url);
      // Loaded on demand: ioredis is only needed when a redis:// state is used.
      const [{ RedisStateStore }, { FallbackStore }] = await Promise.all([
        import("./redis-store.ts"),
        import("./fallback-store.ts"),
      ]);
      const remote = new RedisStateStore({
        url: parsed.url,
        instanceId,
        ...(options.keyPrefix !== undefined ? { keyPrefix: options.keyPrefix } : {}),
      });
      const store = new FallbackStore(remote, {
        logger: options.logger,
        instanceId,
        ...(options.now ? { now: options.now } : {}),
      });
      await store.start();
      return store;
    }
  }
}

export function defaultInstanceId(): string {
  return newInstanceId();
}

/** Redis credentials, in the userinfo or the query, are masked wherever they would be printed. */
function registerRedisSecrets(url: string): void {
  try {
    const parsed = new URL(url);
    // Both spellings: as written in the URL (p%40ss) and decoded (p@ss), as a client may echo either.
    registerSecret(parsed.password);
    registerSecret(decodeURIComponent(parsed.password));
    const query = parsed.searchParams.get("password") ?? undefined;
    registerSecret(query);
    if (query) registerSecret(encodeURIComponent(query));
  } catch {
    // An unparseable URL fails in the client with its own (redacted) error.
  }
}
