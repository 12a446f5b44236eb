import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@app/config';

/**
 * The process's general-purpose Redis connection (replay caches, rate limits,
 * pub/sub publishing). Every key gets the configured prefix, so test runs and
 * deployments sharing a Redis cannot see each other's keys.
 */
@Injectable()
export class RedisService extends Redis implements OnModuleDestroy {
  private readonly logger = new Logger(RedisService.name);

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super(config.redis.url, { keyPrefix: `${config.redis.prefix}:`, maxRetriesPerRequest: 3 });
    this.on('error', (error) => this.logger.warn(`Redis connection error: ${error.message}`));
  }

  async onModuleDestroy(): Promise<void> {
    await this.quit().catch(() => this.disconnect());
  }
}
