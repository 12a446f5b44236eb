import type { ConnectionOptions } from 'bullmq';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { redactUrl, type AppConfig } from '@app/config';
import { StartupError } from '@app/common';

const START_HINT = 'start Redis (redis-server --daemonize yes) or set REDIS_URL';
const CLUSTER_HINT = 'check REDIS_CLUSTER_NODES and that the cluster reports cluster_state:ok';

/** Where Redis is: REDIS_URL alone, or the seed nodes of a cluster (with REDIS_URL's credentials). */
export type RedisSettings = AppConfig['redis'];

/** A connection to either kind; both have the same commands. */
export type RedisClient = Redis | Cluster;

/** Options a cluster client takes for itself rather than for each node's connection. */
const CLUSTER_LEVEL = ['keyPrefix', 'lazyConnect', 'enableOfflineQueue', 'enableReadyCheck', 'enableAutoPipelining'] as const;

/**
 * A client for the configured Redis: a plain connection to REDIS_URL, or,
 * with REDIS_CLUSTER_NODES, an ioredis Cluster that follows slot moves and
 * fail-overs (REDIS_URL then gives only the user, password and TLS).
 */
export function createRedisClient(redis: RedisSettings, options: RedisOptions = {}, cluster: ClusterOptions = {}): RedisClient {
  if (!redis.clusterNodes) return new Redis(redis.url, options);
  const own: ClusterOptions = {};
  const perNode: RedisOptions = { ...nodeCredentials(redis.url) };
  for (const [key, value] of Object.entries(options)) {
    if ((CLUSTER_LEVEL as readonly string[]).includes(key)) (own as Record<string, unknown>)[key] = value;
    else (perNode as Record<string, unknown>)[key] = value;
  }
  return new Cluster(redis.clusterNodes, {
    // A fail-over takes the cluster a few seconds; keep asking meanwhile instead of failing commands at once.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    clusterRetryStrategy: (times) => Math.min(100 * times, 2_000),
    ...own,
    ...cluster,
    redisOptions: perNode,
  });
}

/** REDIS_URL's user, password and TLS, for the nodes of a cluster. */
function nodeCredentials(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * BullMQ's connection: no per-command retry limit (blocking commands must
 * wait out a Redis restart) and no ready check that would hide one. For a
 * cluster this is a client (BullMQ takes no cluster options, only a
 * cluster client), which the caller closes.
 */
export function bullConnection(redis: RedisSettings): ConnectionOptions {
  const options = { maxRetriesPerRequest: null, enableReadyCheck: false };
  return redis.clusterNodes ? (createRedisClient(redis, options) as Cluster) : { url: redis.url, ...options };
}

/** Opens a short-lived connection that fails fast instead of retrying forever. */
export function probeConnection(redis: RedisSettings, timeoutMs = 3_000): RedisClient {
  return createRedisClient(
    redis,
    { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false },
    { clusterRetryStrategy: () => null, slotsRefreshTimeout: timeoutMs },
  );
}

/**
 * Pings Redis once (and, on a cluster, checks that it covers every slot),
 * or throws a StartupError naming where it looked and what to do.
 */
export async function checkRedis(redis: RedisSettings, timeoutMs = 3_000): Promise<void> {
  const client = probeConnection(redis, timeoutMs);
  client.on('error', () => undefined);
  const where = redis.clusterNodes
    ? `the cluster at ${redis.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}`
    : redactUrl(redis.url);
  try {
    await client.connect();
    await client.ping();
    if (client instanceof Cluster) {
      const info = String(await client.cluster('INFO'));
      if (!/cluster_state:ok/.test(info)) throw Object.assign(new Error('cluster_state is not ok'), { code: 'CLUSTERDOWN' });
    }
  } catch (error) {
    const e = error as { code?: string; message?: string };
    throw new StartupError(`cannot reach Redis at ${where} (${e.code ?? e.message}); ${redis.clusterNodes ? CLUSTER_HINT : START_HINT}`);
  } finally {
    client.disconnect();
  }
}
