import { BullModule } from '@nestjs/bullmq';
import { Global, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { ConnectionOptions } from 'bullmq';
import { Cluster } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ALL_QUEUES, DEFAULT_JOB_OPTIONS } from './queue.constants.js';
import { bullConnection } from './redis.js';
import { RedisService, redisServiceProvider } from './redis.service.js';
import { JobHandlers } from './job-handlers.js';

/** BullMQ's cluster clients made by this process (a single Redis needs none: BullMQ connects by itself). */
const bullClusters = new Set<Cluster>();

function bullConnectionFor(config: AppConfig): ConnectionOptions {
  const connection = bullConnection(config.redis);
  if (connection instanceof Cluster) bullClusters.add(connection);
  return connection;
}

/** Registers the BullMQ connection (with the configured key prefix), every queue, and RedisService. */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        connection: bullConnectionFor(config),
        prefix: config.redis.prefix,
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
      }),
    }),
    BullModule.registerQueue(...ALL_QUEUES.map((name) => ({ name }))),
  ],
  providers: [redisServiceProvider, JobHandlers],
  exports: [BullModule, RedisService, JobHandlers],
})
export class QueueModule implements OnApplicationShutdown {
  constructor(private readonly redis: RedisService) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
    for (const cluster of bullClusters) await cluster.quit().catch(() => cluster.disconnect());
    bullClusters.clear();
  }
}
