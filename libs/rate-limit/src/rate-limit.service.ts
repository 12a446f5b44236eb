import { Injectable, Logger } from '@nestjs/common';
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

/** How long a charge may wait for Redis before the budget fails open. */
const REDIS_BUDGET_MS = 1_000;

/**
 * Budgets per member kept in Redis, so they hold across every API process:
 * a fixed window per budget, charged atomically with a Lua script.
 *
 * When Redis does not answer, budgets fail open (and say so in the log):
 * submissions are durable in Postgres through the outbox and must keep
 * flowing through a Redis restart; request sizes stay bounded by BODY_LIMIT,
 * MAX_INDICATORS_PER_SUBMISSION and the GraphQL limits meanwhile.
 */
@Injectable()
export class RateLimitService {
  private readonly logger = new Logger(RateLimitService.name);

  constructor(private readonly redis: RedisService) {}

  /** Takes `points` from `key`'s window of `windowMs` holding `limit`, or refuses without taking. */
  async charge(key: string, points: number, limit: number, windowMs: number): Promise<Budget> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const [allowed, used, ttl] = (await Promise.race([
        this.redis.eval(CHARGE, 1, `rl:${key}`, points, windowMs, limit),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${REDIS_BUDGET_MS} ms`)), REDIS_BUDGET_MS);
        }),
      ])) as [number, number, number];
      return { allowed: allowed === 1, limit, remaining: Math.max(limit - used, 0), resetAt: new Date(Date.now() + ttl) };
    } catch (error) {
      this.logger.warn(`rate-limit budget ${key.split(':')[0]} not checked, Redis unavailable (${(error as Error).message}); allowing`);
      return { allowed: true, limit, remaining: limit, resetAt: new Date(Date.now() + windowMs) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Gives back `points` taken by a charge whose work was then refused or rolled back. */
  async refund(key: string, points: number): Promise<void> {
    await this.redis.decrby(`rl:${key}`, points).catch((error: Error) => {
      this.logger.warn(`could not refund ${points} to budget ${key.split(':')[0]}: ${error.message}`);
    });
  }
}
