import { Module } from '@nestjs/common';
import { AlertEventsPublisher } from './alert-events.publisher.js';

/** The live stream's worker side: AlertEventsPublisher, the consumer of `alerts.changed` that wakes subscriptions (worker role). */
@Module({
  providers: [AlertEventsPublisher],
  exports: [AlertEventsPublisher],
})
export class AlertStreamWorkerModule {}
