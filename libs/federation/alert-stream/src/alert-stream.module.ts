import { Module } from '@nestjs/common';
import { AlertsModule } from '@app/alerts';
import { AuthModule } from '@app/auth';
import { AlertEventsResolver } from './alert-events.resolver.js';
import { AlertStreamService } from './alert-stream.service.js';
import { SocketWatchService } from './socket-watch.service.js';

/**
 * The `alertEvents` subscription and the watch over graphql-ws connections
 * (API role); the worker publishes through AlertEventsPublisher.
 */
@Module({
  imports: [AlertsModule, AuthModule],
  providers: [AlertStreamService, AlertEventsResolver, SocketWatchService],
  exports: [SocketWatchService],
})
export class AlertStreamModule {}
