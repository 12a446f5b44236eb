import { BullModule } from '@nestjs/bullmq';
import { Global, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { ConnectionOptions } from 'bullmq';
import { Cluster } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { bullConnection } from '@app/redis';
import { ALL_QUEUES, DEFAULT_JOB_OPTIONS } from './queue.constants.js';
import { JobHandlers } from './job-handlers.js';

/** BullMQ's cluster clients made by this process (a single Redis needs none: BullMQ connects by itself). */
const bullClusters = new Set<Cluster>();

function bullConnectionFor(config: AppConfig): ConnectionOptions {
  const connection = bullConnection(config.redis);
  if (connection instanceof Cluster) bullClusters.add(connection);
  return connection;
}

/** Registers the BullMQ connection (with the configured key prefix) and every queue. */
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
  providers: [JobHandlers],
  exports: [BullModule, JobHandlers],
})
export class QueueModule implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    for (const cluster of bullClusters) await cluster.quit().catch(() => cluster.disconnect());
    bullClusters.clear();
  }
}
