export { ALL_QUEUES, DEFAULT_JOB_OPTIONS, JobName, QueueName, WEBHOOK_JOB_OPTIONS } from './queue.constants.js';
export { JobHandlers, UnknownJobError, type JobHandler } from './job-handlers.js';
export { keepJobScheduler } from './job-schedulers.js';
export { QueueModule } from './queue.module.js';
export { bullConnection, checkRedis, createRedisClient, probeConnection, type RedisClient, type RedisSettings } from './redis.js';
export { RedisService } from './redis.service.js';
