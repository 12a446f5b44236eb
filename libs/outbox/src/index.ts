export { OutboxModule } from './outbox.module.js';
export { OutboxRelayModule } from './outbox-relay.module.js';
export { OutboxRelay } from './outbox.relay.js';
export { OUTBOX_CHANNEL, outboxEventSql, OutboxService, type Db } from './outbox.service.js';
