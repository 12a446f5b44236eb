import { Logger, type FactoryProvider } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { createRedisClient } from './redis.js';

/**
 * The process's general-purpose Redis connection (replay caches, rate limits,
 * pub/sub publishing): a single Redis or a Redis Cluster client, the same
 * commands either way. Every key gets the configured prefix (REDIS_PREFIX
 * without braces), so test runs and deployments sharing a Redis cannot see
 * each other's keys. On a cluster, keys a script or MGET uses together must
 * share a hash tag (`{memberId}`, `{endpointId}`): docs/scaling.md.
 */
export abstract class RedisService {}
// The injection token is the abstract class; its shape is what both clients share.
export interface RedisService extends Pick<Redis, keyof Redis & keyof Cluster> {}

/** Provides RedisService for the configured Redis. */
export const redisServiceProvider: FactoryProvider<RedisService> = {
  provide: RedisService,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => {
    const logger = new Logger(RedisService.name);
    const client = createRedisClient(config.redis, { keyPrefix: config.redis.keyPrefix, maxRetriesPerRequest: 3 });
    client.on('error', (error: Error) => logger.warn(`Redis connection error: ${error.message}`));
    return client as unknown as RedisService;
  },
};
