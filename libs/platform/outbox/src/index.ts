export { ConsumesEvent } from './consumes-event.decorator.js';
export { EventConsumers } from './event-consumers.js';
export {
  Events,
  type AlertEvent,
  type AlertEventType,
  type CampaignEvent,
  type CampaignEventType,
  type CampaignsChangedPayload,
  type CampaignsRelinkPayload,
  type CampaignTokenKey,
  type EventPayloads,
  type EventTopic,
  type TokenKey,
} from './events.js';
export { OutboxModule } from './outbox.module.js';
export { OutboxRelayModule } from './outbox-relay.module.js';
export { outboxJobId, type OutboxJob } from './outbox-job.js';
export { OutboxService } from './outbox.service.js';
export { outboxEventSql } from './outbox.sql.js';
