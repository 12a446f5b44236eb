import { Module } from '@nestjs/common';
import { OutboxRelay } from './outbox.relay.js';

/** The relay from Postgres to BullMQ; imported by the worker role only. */
@Module({
  providers: [OutboxRelay],
  exports: [OutboxRelay],
})
export class OutboxRelayModule {}
