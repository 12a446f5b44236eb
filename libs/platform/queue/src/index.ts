export { ALL_QUEUES, JobName, QueueName, WEBHOOK_JOB_OPTIONS } from './queue.constants.js';
export { JobHandlers } from './job-handlers.js';
export { keepJobScheduler } from './job-schedulers.js';
export { QueueModule } from './queue.module.js';
