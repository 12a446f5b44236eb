import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { bullConnectionOptions } from '@app/redis';
import { ALL_QUEUES, DEFAULT_JOB_OPTIONS } from './queue.constants.js';
import { JobHandlers } from './job-handlers.js';

/** Registers the BullMQ connection (with the configured key prefix) and every queue. */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        connection: bullConnectionOptions(config.redis.url),
        prefix: config.redis.prefix,
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
      }),
    }),
    BullModule.registerQueue(...ALL_QUEUES.map((name) => ({ name }))),
  ],
  providers: [JobHandlers],
  exports: [BullModule, JobHandlers],
})
export class QueueModule {}
