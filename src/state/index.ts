// Public surface of the state layer.
// Types only for the Redis backend: importing the classes loads ioredis (openStateStore loads it on demand).
export type { FallbackStore } from "./fallback-store.ts";
export { MemoryStateStore } from "./memory-store.ts";
export {
  DEFAULT_RUN_STATE_SPEC,
  defaultInstanceId,
  describeStateSpec,
  type OpenStateStoreOptions,
  openStateStore,
  type ParsedStateSpec,
  parseStateSpec,
  resolveStateSpec,
  stateSpecSchema,
} from "./open.ts";
export type { RedisStateStore } from "./redis-store.ts";
export { redactRedisUrl } from "./redis-url.ts";
// Type only: importing the class loads node:sqlite (openStateStore loads it on demand).
export type { SqliteStateStore, SqliteStateStoreOptions } from "./sqlite-store.ts";
export * from "./store.ts";
