export { bullConnectionOptions, checkRedis, probeConnection } from './redis.js';
export { RedisModule } from './redis.module.js';
export { RedisService } from './redis.service.js';
