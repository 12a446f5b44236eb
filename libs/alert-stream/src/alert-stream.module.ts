import { Module } from '@nestjs/common';
import { AlertsModule } from '@app/alerts';
import { AuthModule } from '@app/auth';
import { AlertEventsResolver } from './alert-events.resolver.js';
import { AlertStreamService } from './alert-stream.service.js';

/** The `alertEvents` subscription (API role); the worker publishes through AlertEventsPublisher. */
@Module({
  imports: [AlertsModule, AuthModule],
  providers: [AlertStreamService, AlertEventsResolver],
})
export class AlertStreamModule {}
