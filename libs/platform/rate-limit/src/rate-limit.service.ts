import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { RedisService } from '@app/redis';

/** The state of one budget after a charge. */
export interface Budget {
  allowed: boolean;
  limit: number;
  /** What is left in the current window after this charge (unchanged when refused). */
  remaining: number;
  /** When the current window ends. */
  resetAt: Date;
  /**
   * The value of the `alsoRead` key passed to `charge`, read in the same
   * call (null when the key does not exist); undefined when Redis did not
   * answer or no key was asked for.
   */
  read?: string | null;
}

// Atomic fixed-window charge: a refused charge takes nothing, so a flood of
// refused requests does not keep a member locked out past the window.
// KEYS[2], when given, is only read and its value returned (false if absent).
const CHARGE = `
local read = false
if KEYS[2] then read = redis.call('GET', KEYS[2]) end
local used = redis.call('INCRBY', KEYS[1], ARGV[1])
if used == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) ttl = tonumber(ARGV[2]) end
if used > tonumber(ARGV[3]) then
  redis.call('DECRBY', KEYS[1], ARGV[1])
  return {0, used - tonumber(ARGV[1]), ttl, read}
end
return {1, used, ttl, read}`;

// Counting semaphore: holders in a sorted set scored by expiry, so a crashed holder frees its slot on its own.
// KEYS[1]: holders. ARGV: now, ttl, limit, token. Returns 1 when taken, else 0.
const TAKE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

// Windowed counters: adds ARGV[2..] to the fields 1.. of the hash KEYS[1], whose window of ARGV[1] ms starts
// with its first addition; returns the totals.
const TALLY = `
local totals = {}
for i = 2, #ARGV do totals[i - 1] = redis.call('HINCRBY', KEYS[1], tostring(i - 1), ARGV[i]) end
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return totals`;

/** The scripts as commands of the client (ioredis `defineCommand`). */
interface ScriptCommands {
  sigfedCharge(numberOfKeys: number, ...args: (string | number)[]): Promise<unknown>;
  sigfedTake(numberOfKeys: number, ...args: (string | number)[]): Promise<unknown>;
  sigfedTally(numberOfKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

const SCRIPTS: Record<keyof ScriptCommands, string> = { sigfedCharge: CHARGE, sigfedTake: TAKE, sigfedTally: TALLY };

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

  constructor(private readonly redis: RedisService) {
    // EVALSHA with a fall-back to EVAL: a script's text is not sent with every call (submissions make several).
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      if (typeof (redis as unknown as Partial<Record<string, unknown>>)[name] !== 'function') redis.defineCommand(name, { lua });
    }
  }

  private get scripts(): ScriptCommands {
    return this.redis as unknown as ScriptCommands;
  }

  /**
   * Takes `points` from `key`'s window of `windowMs` holding `limit`, or
   * refuses without taking. `alsoRead` names a key whose value comes back as
   * `read`, in the same round trip; on a Redis Cluster it must share `key`'s
   * hash tag (both go to one script), which `charge` checks.
   */
  async charge(key: string, points: number, limit: number, windowMs: number, alsoRead?: string): Promise<Budget> {
    if (alsoRead !== undefined && hashTag(key) !== hashTag(alsoRead)) {
      throw new Error(`charge: ${key} and ${alsoRead} do not share a hash tag, so one script cannot use both on a Redis Cluster`);
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const keys = alsoRead ? [`rl:${key}`, alsoRead] : [`rl:${key}`];
      const [allowed, used, ttl, read] = (await Promise.race([
        this.scripts.sigfedCharge(keys.length, ...keys, points, windowMs, limit),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${REDIS_BUDGET_MS} ms`)), REDIS_BUDGET_MS);
        }),
      ])) as [number, number, number, string | null];
      return {
        allowed: allowed === 1,
        limit,
        remaining: Math.max(limit - used, 0),
        resetAt: new Date(Date.now() + ttl),
        ...(alsoRead ? { read: read ?? null } : {}),
      };
    } catch (error) {
      this.logger.warn(`rate-limit budget ${key.split(':')[0]} not checked, Redis unavailable (${(error as Error).message}); allowing`);
      return { allowed: true, limit, remaining: limit, resetAt: new Date(Date.now() + windowMs) };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * One of `limit` concurrent slots of `key` (across every process), held at
   * most `ttlMs`: a token to give back with `leave`, or undefined when all are
   * taken. Fails open (a token) when Redis does not answer.
   */
  async enter(key: string, limit: number, ttlMs: number): Promise<string | undefined> {
    const token = randomUUID();
    try {
      const got = await this.scripts.sigfedTake(1, `cc:{${key}}`, Date.now(), ttlMs, limit, token);
      return got === 1 ? token : undefined;
    } catch (error) {
      this.logger.warn(`concurrency limit ${key.split(':')[0]} not checked, Redis unavailable (${(error as Error).message}); allowing`);
      return token;
    }
  }

  /** Gives back a slot taken by `enter`. */
  async leave(key: string, token: string): Promise<void> {
    await this.redis.zrem(`cc:{${key}}`, token).catch((error: Error) => {
      this.logger.warn(`could not give back a slot of ${key.split(':')[0]}: ${error.message} (it expires on its own)`);
    });
  }

  /**
   * Adds `amounts` to the counters of `key`, whose window of `windowMs`
   * starts with the first addition, and returns their totals; undefined
   * when Redis did not answer (nothing is counted then).
   */
  async tally(key: string, amounts: readonly number[], windowMs: number): Promise<number[] | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return (await Promise.race([
        this.scripts.sigfedTally(1, `tally:${key}`, windowMs, ...amounts),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${REDIS_BUDGET_MS} ms`)), REDIS_BUDGET_MS);
        }),
      ])) as number[];
    } catch (error) {
      this.logger.warn(`counters ${key.split(':')[0]} not updated, Redis unavailable (${(error as Error).message})`);
      return undefined;
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

/** What Redis Cluster hashes a key by: its first non-empty `{...}`, else the whole key. */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}
