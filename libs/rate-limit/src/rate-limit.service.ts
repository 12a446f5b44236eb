import { Injectable } from '@nestjs/common';
import { RedisService } from '@app/queue';

/** The state of one budget after a charge. */
export interface Budget {
  allowed: boolean;
  limit: number;
  /** What is left in the current window after this charge (unchanged when refused). */
  remaining: number;
  /** When the current window ends. */
  resetAt: Date;
}

// Atomic fixed-window charge: a refused charge takes nothing, so a flood of
// refused requests does not keep a member locked out past the window.
const CHARGE = `
local used = redis.call('INCRBY', KEYS[1], ARGV[1])
if used == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) ttl = tonumber(ARGV[2]) end
if used > tonumber(ARGV[3]) then
  redis.call('DECRBY', KEYS[1], ARGV[1])
  return {0, used - tonumber(ARGV[1]), ttl}
end
return {1, used, ttl}`;

/**
 * Budgets per member kept in Redis, so they hold across every API process:
 * a fixed window per budget, charged atomically with a Lua script.
 */
@Injectable()
export class RateLimitService {
  constructor(private readonly redis: RedisService) {}

  /** Takes `points` from `key`'s window of `windowMs` holding `limit`, or refuses without taking. */
  async charge(key: string, points: number, limit: number, windowMs: number): Promise<Budget> {
    const [allowed, used, ttl] = (await this.redis.eval(CHARGE, 1, `rl:${key}`, points, windowMs, limit)) as [number, number, number];
    return {
      allowed: allowed === 1,
      limit,
      remaining: Math.max(limit - used, 0),
      resetAt: new Date(Date.now() + ttl),
    };
  }

  /** Gives back `points` taken by a charge whose work was then refused or rolled back. */
  async refund(key: string, points: number): Promise<void> {
    await this.redis.decrby(`rl:${key}`, points);
  }
}
