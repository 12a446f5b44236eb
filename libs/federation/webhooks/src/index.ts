export { stableEventId } from './webhook-views.js';
export { WebhookWorkerModule } from './webhook-worker.module.js';
export { WebhooksModule } from './webhooks.module.js';
