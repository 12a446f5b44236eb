import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { OutboxModule } from '@app/outbox';
import { AlertsService } from './alerts.service.js';
import { SuppressionService } from './suppression.service.js';

/** Members' alert views and the suppression list as services, without resolvers (any role: the worker's fan-out reads alerts). */
@Module({
  imports: [OutboxModule, AuditModule],
  providers: [AlertsService, SuppressionService],
  exports: [AlertsService, SuppressionService],
})
export class AlertsCoreModule {}
