export { bullConnection, checkRedis, createRedisClient, type RedisClient } from './redis.js';
export { RedisModule } from './redis.module.js';
export { RedisService } from './redis.service.js';
