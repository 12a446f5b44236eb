import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { RedisService } from '@app/redis';

/**
 * Take a slot if fewer than ARGV[3] unexpired holders exist; otherwise, when
 * a waiter id is given, queue it so that a release can wake it, in the order
 * in which they began to wait: a waiter that was woken but lost the slot to
 * another delivery goes back to its old place (its wake mark keeps it). A
 * holder whose worker died expires on its own (score = expiry time), so a
 * crash never leaks a slot for longer than its ttl.
 * KEYS: holders, waiters, wake marks. ARGV: now, ttl, limit, token, waiter id or ''.
 * Returns {1} when the slot was taken, else {0, since when (ms) the waiter waits}.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  if ARGV[5] ~= '' then
    redis.call('ZREM', KEYS[2], ARGV[5])
    redis.call('HDEL', KEYS[3], ARGV[5])
  end
  return {1}
end
if ARGV[5] == '' then return {0, tonumber(ARGV[1])} end
local since = tonumber(redis.call('HGET', KEYS[3], ARGV[5])) or tonumber(ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[5])
redis.call('ZADD', KEYS[2], 'NX', since, ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {0, tonumber(redis.call('ZSCORE', KEYS[2], ARGV[5]))}`;

/**
 * Give a slot back (when a token is given) and take the longest-waiting
 * waiter off the queue, leaving it a wake mark (the time it began to wait):
 * the waiter may not have moved itself to `delayed` yet, in which case it
 * finds the mark afterwards.
 * KEYS: holders, waiters, wake marks. ARGV: token or '', ttl. Returns the waiter id or false.
 */
const RELEASE = `
if ARGV[1] ~= '' then redis.call('ZREM', KEYS[1], ARGV[1]) end
local next = redis.call('ZPOPMIN', KEYS[2])
if next[1] == nil then return false end
redis.call('HSET', KEYS[3], next[1], next[2])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
return next[1]`;

/** What `acquire` got: a slot, or a place among the endpoint's waiters. */
export type SlotGrant = { token: string } | { waitingSinceMs: number };

/**
 * Per-endpoint concurrency across every worker process: a counting
 * semaphore in Redis, with a FIFO of waiting deliveries. It is what keeps one
 * slow endpoint from occupying all of a worker's delivery slots while other
 * endpoints wait: a delivery that finds its endpoint full leaves the worker
 * (its job waits in `delayed`) and the delivery that frees a slot wakes the
 * longest-waiting one, so a busy endpoint costs no fixed postponement.
 */
@Injectable()
export class EndpointSlots {
  constructor(private readonly redis: RedisService) {}

  /**
   * A slot, or, when `limit` deliveries to the endpoint are in flight
   * already, `waiter` (a job id) queued to be woken by the next release.
   */
  async acquire(endpointId: string, limit: number, ttlMs: number, waiter = ''): Promise<SlotGrant> {
    const token = randomUUID();
    const [got, since] = (await this.redis.eval(ACQUIRE, 3, ...keys(endpointId), Date.now(), ttlMs, limit, token, waiter)) as number[];
    return got === 1 ? { token } : { waitingSinceMs: since };
  }

  /** Gives a slot back (or none, with `token` empty); returns the waiter to wake, if one waits. */
  async release(endpointId: string, token: string, ttlMs: number): Promise<string | undefined> {
    const next = (await this.redis.eval(RELEASE, 3, ...keys(endpointId), token, ttlMs)) as string | null;
    return next ?? undefined;
  }

  /** Whether a release chose `waiter` since it last looked (and clears the mark). */
  async wasWoken(endpointId: string, waiter: string): Promise<boolean> {
    return (await this.redis.hdel(keys(endpointId)[2], waiter)) === 1;
  }
}

/** One endpoint's keys, hash-tagged so that a Redis Cluster keeps them in one slot (the scripts use all three). */
function keys(endpointId: string): [string, string, string] {
  return [`webhook-slots:{${endpointId}}`, `webhook-waiters:{${endpointId}}`, `webhook-wakes:{${endpointId}}`];
}
