export { ConsumesEvent } from './consumes-event.decorator.js';
export { consumerProblems, EventConsumers, type EventConsumer } from './event-consumers.js';
export {
  EVENT_TOPICS,
  Events,
  type AlertEvent,
  type AlertEventType,
  type AlertsChangedPayload,
  type CampaignEvent,
  type CampaignEventType,
  type CampaignsChangedPayload,
  type CampaignsRelinkPayload,
  type CampaignTokenKey,
  type EventPayloads,
  type EventTopic,
  type ProbingThrottledPayload,
  type TokenKey,
} from './events.js';
export { OutboxModule } from './outbox.module.js';
export { OutboxRelayModule } from './outbox-relay.module.js';
export { outboxJobId, type OutboxJob } from './outbox-job.js';
export { OutboxRelay } from './outbox.relay.js';
export { OutboxService } from './outbox.service.js';
export { OUTBOX_CHANNEL, outboxEventSql, type OutboxEventSql } from './outbox.sql.js';
