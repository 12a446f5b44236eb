import { Module, type DynamicModule, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditModule } from '@app/audit';
import { ConfigModule, type AppConfig } from '@app/config';
import { connectPg, DatabaseModule } from '@app/database';
import { MembersModule } from '@app/members';

/** The services CLI commands call, without HTTP, GraphQL or queues; as the tables' owner (an operator's tool). */
@Module({})
class CliModule {
  static forRoot(config: AppConfig, extra: Type[]): DynamicModule {
    return {
      module: CliModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule.forRole('owner'), AuditModule, MembersModule, ...extra],
    };
  }
}

/**
 * Runs `work` with a Nest application context (dependency injection, no
 * server) and closes it afterwards. `extra` adds modules a command needs
 * beyond members and audit (only rotation loads the data key). Connects to
 * Postgres first so that an unreachable database is reported in one line.
 */
export async function withCliContext<T>(
  config: AppConfig,
  work: (app: INestApplicationContext) => Promise<T>,
  extra: Type[] = [],
): Promise<T> {
  const probe = await connectPg(config.database.url);
  await probe.end();
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config, extra), { logger: ['error', 'warn'] });
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}
