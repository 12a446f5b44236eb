import { Global, Module } from '@nestjs/common';
import { RedisService } from './redis.service.js';

/** The process's general-purpose Redis connection, for every module (auth, budgets, slots, the live stream). */
@Global()
@Module({
  providers: [RedisService],
  exports: [RedisService],
})
export class RedisModule {}
