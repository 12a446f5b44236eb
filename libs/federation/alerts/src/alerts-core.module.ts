import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { OutboxModule } from '@app/outbox';
import { AlertsService } from './alerts.service.js';
import { QuarantineService } from './quarantine.service.js';
import { SuppressionService } from './suppression.service.js';

/** Members' alert views, the suppression list and the quarantine queue as services, without resolvers (any role: the worker's fan-out reads alerts). */
@Module({
  imports: [OutboxModule, AuditModule],
  providers: [AlertsService, SuppressionService, QuarantineService],
  exports: [AlertsService, SuppressionService, QuarantineService],
})
export class AlertsCoreModule {}
