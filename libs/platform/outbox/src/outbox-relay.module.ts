import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { EventConsumers } from './event-consumers.js';
import { OutboxRelay } from './outbox.relay.js';

/** The relay from Postgres to BullMQ and the event consumers it runs; imported by the worker role only. */
@Module({
  imports: [DiscoveryModule],
  providers: [OutboxRelay, EventConsumers],
  exports: [OutboxRelay, EventConsumers],
})
export class OutboxRelayModule {}
