export { ALL_QUEUES, DEFAULT_JOB_OPTIONS, JobName, QueueName, WEBHOOK_JOB_OPTIONS } from './queue.constants.js';
export { JobHandlers, UnknownJobError, type JobHandler } from './job-handlers.js';
export { keepJobScheduler } from './job-schedulers.js';
export { QueueModule } from './queue.module.js';
