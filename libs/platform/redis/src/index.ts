export { bullConnection, checkRedis, createRedisClient, type RedisClient, type RedisSettings } from './redis.js';
export { RedisModule } from './redis.module.js';
export { RedisService } from './redis.service.js';
