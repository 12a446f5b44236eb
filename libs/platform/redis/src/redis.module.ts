import { Global, Module, type OnApplicationShutdown } from '@nestjs/common';
import { RedisService, redisServiceProvider } from './redis.service.js';

/** The process's general-purpose Redis connection, for every module (auth, budgets, slots, the live stream). */
@Global()
@Module({
  providers: [redisServiceProvider],
  exports: [RedisService],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(private readonly redis: RedisService) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
