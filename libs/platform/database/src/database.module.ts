import { Global, Module, type DynamicModule } from '@nestjs/common';
import { DATABASE_ROLE, PrismaService, type DatabaseRole } from './prisma.service.js';

/** Provides PrismaService, connected as `role`, to every module. */
@Global()
@Module({})
export class DatabaseModule {
  static forRole(role: DatabaseRole): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [{ provide: DATABASE_ROLE, useValue: role }, PrismaService],
      exports: [PrismaService],
    };
  }
}
