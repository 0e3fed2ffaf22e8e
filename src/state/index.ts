// Public surface of the state layer.
export { FallbackStore } from "./fallback-store.ts";
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
export { RedisStateStore, redactRedisUrl } from "./redis-store.ts";
// Type only: importing the class loads node:sqlite (openStateStore loads it on demand).
export type { SqliteStateStore, SqliteStateStoreOptions } from "./sqlite-store.ts";
export * from "./store.ts";
