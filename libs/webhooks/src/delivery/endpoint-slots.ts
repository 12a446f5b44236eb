import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { RedisService } from '@app/queue';

/**
 * Take a slot if fewer than ARGV[3] unexpired holders exist. A holder whose
 * worker died expires on its own (score = expiry time), so a crash never
 * leaks a slot for longer than its ttl.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

/**
 * Per-endpoint concurrency across every worker process: a counting
 * semaphore in Redis. It is what keeps one slow endpoint from occupying all
 * of a worker's delivery slots while other endpoints wait.
 */
@Injectable()
export class EndpointSlots {
  constructor(private readonly redis: RedisService) {}

  /** A slot token, or undefined when `limit` deliveries to the endpoint are in flight already. */
  async acquire(endpointId: string, limit: number, ttlMs: number): Promise<string | undefined> {
    const token = randomUUID();
    const got = await this.redis.eval(ACQUIRE, 1, key(endpointId), Date.now(), ttlMs, limit, token);
    return got === 1 ? token : undefined;
  }

  /** Gives a slot back. */
  async release(endpointId: string, token: string): Promise<void> {
    await this.redis.zrem(key(endpointId), token);
  }
}

function key(endpointId: string): string {
  return `webhook-slots:${endpointId}`;
}
