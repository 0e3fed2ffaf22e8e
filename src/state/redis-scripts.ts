// Lua scripts of the Redis backend: each runs atomically on the server, so N instances sharing one
// Redis never exceed a throttle window, never double-acquire a cooldown and never share a claim.
// Key names are built from the prefix inside the scripts (standalone Redis; not for Redis Cluster).
// Numbers that may exceed Lua's exact formatting (epoch ms) come in as strings computed in JS.
// Outbox ids are `<epoch>-<seq>`: the epoch (in the meta hash) is drawn again when Redis loses its
// data, so an id from before the loss never names a newer entry, and using one reports the reset.
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/** The error a script answers when Redis no longer holds the state the caller knew (data lost). */
export const RESET_ERROR = "ALERTPIPE_RESET";

// Lua prelude: is `id` from an earlier epoch (or is the state gone)? Numeric ids predate epochs.
const STALE = `
local function stale(p, id)
  local epoch = redis.call('HGET', p .. 'meta', 'epoch')
  if not epoch then return true end
  local dash = string.find(id, '-', 1, true)
  return dash ~= nil and string.sub(id, 1, dash - 1) ~= epoch
end`;
const RESET_REPLY = `redis.error_reply('${RESET_ERROR} redis lost the outbox state (restarted empty or flushed)')`;

/** KEYS[1] cooldown key · ARGV until, now, ttlMs → 1 acquired / 0 running. */
export const COOLDOWN_ACQUIRE = `
local current = tonumber(redis.call('GET', KEYS[1]))
if current and current > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`;

/** KEYS[1] cooldown key · ARGV until, ttlMs → raise the deadline unless a later one is set. */
export const COOLDOWN_RAISE = `
local current = tonumber(redis.call('GET', KEYS[1]))
if current and current >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/**
 * KEYS[1] window zset · ARGV horizon, now, max, id, windowMs → 1 admitted / 0 over the limit; an id
 * already in the window is re-stamped to `now` if that is later.
 */
export const THROTTLE_ADMIT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local known = redis.call('ZSCORE', KEYS[1], ARGV[4])
if known then
  if tonumber(ARGV[2]) > tonumber(known) then redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4]) end
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

/** KEYS[1] window zset · ARGV at, id, windowMs → record an admission made while Redis was away (latest time kept). */
export const THROTTLE_IMPORT = `
local known = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not known or tonumber(ARGV[1]) > tonumber(known) then redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2]) end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1`;

/**
 * ARGV prefix, destination, payload, now, key ('' = none), keyGcMs, keyUntil, owner, leaseUntil,
 * attempts → id, or '' when a dedupe key was seen. An import key (keyUntil '') remembers the id it
 * created and answers it again; a dedupe key is seen until keyUntil (caller's clock), the server-side
 * expiry keyGcMs only collects it. An owner ('' = none) enqueues the entry already claimed.
 */
export const OUTBOX_ENQUEUE = `
local p = ARGV[1]
local epoch = redis.call('HGET', p .. 'meta', 'epoch')
if not epoch then return ${RESET_REPLY} end
local k = nil
if ARGV[5] ~= '' then
  k = p .. 'ob:imp:' .. ARGV[5]
  local seen = redis.call('GET', k)
  if seen and ARGV[7] == '' then return seen end
  if seen and (seen == '1' or tonumber(seen) > tonumber(ARGV[4])) then return '' end
end
local seq = redis.call('INCR', p .. 'ob:seq')
local id = epoch .. '-' .. seq
if k then
  local mark = id
  if ARGV[7] ~= '' then mark = ARGV[7] end
  redis.call('SET', k, mark, 'PX', ARGV[6])
end
local key = p .. 'ob:e:' .. id
redis.call('HSET', key, 'destination', ARGV[2], 'payload', ARGV[3], 'enqueued', ARGV[4], 'attempts', ARGV[10])
if ARGV[8] ~= '' then redis.call('HSET', key, 'owner', ARGV[8], 'lease', ARGV[9]) end
redis.call('ZADD', p .. 'ob:q:' .. ARGV[2], seq, id)
redis.call('SADD', p .. 'ob:dests', ARGV[2])
return id`;

/**
 * ARGV prefix, destination, owner, leaseUntil, limit, now, inOrder ('1': stop at the first entry
 * under a live lease) → {id, payload, enqueued, attempts}[].
 */
export const OUTBOX_CLAIM = `
local p = ARGV[1]
local q = p .. 'ob:q:' .. ARGV[2]
local limit = tonumber(ARGV[5])
local now = tonumber(ARGV[6])
local inOrder = ARGV[7] == '1'
local out = {}
local offset = 0
local stop = false
while #out < limit and not stop do
  local ids = redis.call('ZRANGE', q, offset, offset + 99)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local key = p .. 'ob:e:' .. id
    local f = redis.call('HMGET', key, 'owner', 'lease', 'payload', 'enqueued')
    if f[3] and ((not f[1]) or tonumber(f[2]) <= now) then
      local attempts = redis.call('HINCRBY', key, 'attempts', 1)
      redis.call('HSET', key, 'owner', ARGV[3], 'lease', ARGV[4])
      out[#out + 1] = {id, f[3], f[4], attempts}
      if #out >= limit then break end
    elseif f[3] and inOrder then
      stop = true
      break
    end
  end
  offset = offset + 100
end
return out`;

/** ARGV prefix, id, owner, leaseUntil → 1 renewed / 0 lost. */
export const OUTBOX_RENEW = `${STALE}
if stale(ARGV[1], ARGV[2]) then return ${RESET_REPLY} end
local key = ARGV[1] .. 'ob:e:' .. ARGV[2]
if redis.call('HGET', key, 'owner') ~= ARGV[3] then return 0 end
redis.call('HSET', key, 'lease', ARGV[4])
return 1`;

/** ARGV prefix, id, owner → give the claim back if still held by owner. */
export const OUTBOX_RELEASE = `${STALE}
if stale(ARGV[1], ARGV[2]) then return ${RESET_REPLY} end
local key = ARGV[1] .. 'ob:e:' .. ARGV[2]
if redis.call('HGET', key, 'owner') ~= ARGV[3] then return 0 end
redis.call('HDEL', key, 'owner', 'lease')
return 1`;

// Shared tail of ack and fail: remove the entry from its queue and the destination set when empty.
const REMOVE_ENTRY = `
redis.call('DEL', key)
local q = p .. 'ob:q:' .. dest
redis.call('ZREM', q, id)
if redis.call('ZCARD', q) == 0 then redis.call('SREM', p .. 'ob:dests', dest) end`;

/** ARGV prefix, id → 1 removed / 0 unknown. */
export const OUTBOX_ACK = `${STALE}
local p = ARGV[1]
local id = ARGV[2]
if stale(p, id) then return ${RESET_REPLY} end
local key = p .. 'ob:e:' .. id
local dest = redis.call('HGET', key, 'destination')
if not dest then return 0 end
${REMOVE_ENTRY}
return 1`;

/** ARGV prefix, id, reason, failedAt → dead-letter count, or -1 for an unknown id. */
export const OUTBOX_FAIL = `${STALE}
local p = ARGV[1]
local id = ARGV[2]
if stale(p, id) then return ${RESET_REPLY} end
local key = p .. 'ob:e:' .. id
local f = redis.call('HMGET', key, 'destination', 'payload', 'enqueued', 'attempts')
local dest = f[1]
if not dest then return -1 end
local dead = cjson.encode({id = id, destination = dest, payload = f[2], reason = ARGV[3],
  enqueued = f[3], failed = ARGV[4], attempts = f[4]})
${REMOVE_ENTRY}
return redis.call('RPUSH', p .. 'ob:dead', dead)`;

/** ARGV prefix, epoch, ids... → 1/0 per id: the entry still exists (error when the epoch changed). */
export const OUTBOX_EXISTING = `
local p = ARGV[1]
if redis.call('HGET', p .. 'meta', 'epoch') ~= ARGV[2] then return ${RESET_REPLY} end
local out = {}
for i = 3, #ARGV do out[#out + 1] = redis.call('EXISTS', p .. 'ob:e:' .. ARGV[i]) end
return out`;

/** ARGV prefix, importKey, dead-letter JSON → push a dead letter once. */
export const DEAD_IMPORT = `
if not redis.call('SET', ARGV[1] .. 'ob:imp:' .. ARGV[2], '1', 'NX', 'PX', 86400000) then
  return redis.call('LLEN', ARGV[1] .. 'ob:dead')
end
return redis.call('RPUSH', ARGV[1] .. 'ob:dead', ARGV[3])`;

/** ARGV prefix, destination → {id, payload, enqueued, attempts, owner|false, lease|false}[] in order. */
export const OUTBOX_PENDING = `
local p = ARGV[1]
local out = {}
for _, id in ipairs(redis.call('ZRANGE', p .. 'ob:q:' .. ARGV[2], 0, -1)) do
  local f = redis.call('HMGET', p .. 'ob:e:' .. id, 'payload', 'enqueued', 'attempts', 'owner', 'lease')
  if f[1] then out[#out + 1] = {id, f[1], f[2], f[3], f[4] or '', f[5] or ''} end
end
return out`;

/** KEYS[1] namespace hash · ARGV now → live {field, envelope}... and expired fields removed. */
export const KV_LIST = `
local now = tonumber(ARGV[1])
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  local e = cjson.decode(all[i + 1]).e
  if e and tonumber(e) <= now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    out[#out + 1] = all[i]
    out[#out + 1] = all[i + 1]
  end
end
return out`;

/** Runs the scripts by SHA, loading one the server does not know yet (after a restart, say). */
export class ScriptRunner {
  readonly #redis: Redis;
  readonly #sha = new Map<string, string>();

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async run(script: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    let sha = this.#sha.get(script);
    if (!sha) {
      sha = createHash("sha1").update(script).digest("hex");
      this.#sha.set(script, sha);
    }
    try {
      return await this.#redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error).message).includes("NOSCRIPT")) throw error;
      return await this.#redis.eval(script, keys.length, ...keys, ...args);
    }
  }
}
