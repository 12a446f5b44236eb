export { ALL_QUEUES, DEFAULT_JOB_OPTIONS, QueueName } from './queue.constants.js';
export { QueueModule } from './queue.module.js';
export { bullConnectionOptions, checkRedis, probeConnection } from './redis.js';
export { RedisService } from './redis.service.js';
