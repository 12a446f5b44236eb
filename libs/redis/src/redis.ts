import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { redactUrl } from '@app/config';
import { StartupError } from '@app/common';

const START_HINT = 'start Redis (redis-server --daemonize yes) or set REDIS_URL';

/**
 * BullMQ connection options: no per-command retry limit (blocking commands
 * must wait out a Redis restart) and no ready check that would hide one.
 */
export function bullConnectionOptions(url: string): RedisOptions {
  return { url, maxRetriesPerRequest: null, enableReadyCheck: false };
}

/** Opens a short-lived connection that fails fast instead of retrying forever. */
export function probeConnection(url: string, timeoutMs = 3_000): Redis {
  return new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
}

/** Pings Redis once, or throws a StartupError naming the URL and how to start it. */
export async function checkRedis(url: string, timeoutMs = 3_000): Promise<void> {
  const redis = probeConnection(url, timeoutMs);
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    const e = error as { code?: string; message?: string };
    throw new StartupError(`cannot reach Redis at ${redactUrl(url)} (${e.code ?? e.message}); ${START_HINT}`);
  } finally {
    redis.disconnect();
  }
}
