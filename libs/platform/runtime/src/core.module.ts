import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { ConfigModule, type AppConfig } from '@app/config';
import { DatabaseModule } from '@app/database';
import { loggerParams, ObservabilityModule } from '@app/observability';
import { QueueModule } from '@app/queue';
import { RedisModule } from '@app/redis';

/**
 * What every role shares: config, JSON logs, Prisma, BullMQ/Redis, health and
 * metrics. Prisma connects as the role's own Postgres role (`sigfed_api`,
 * `sigfed_worker`); any other role connects as DATABASE_URL's owner.
 */
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, role: 'api' | 'worker' | 'cli'): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerParams(config, role)),
        DatabaseModule.forRole(role === 'cli' ? 'owner' : role),
        RedisModule,
        QueueModule,
        ObservabilityModule.forRole(role),
      ],
    };
  }
}
