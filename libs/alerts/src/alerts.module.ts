import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { OutboxModule } from '@app/outbox';
import { AlertsResolver } from './alerts.resolver.js';
import { AlertsService } from './alerts.service.js';
import { QuarantineResolver } from './quarantine.resolver.js';
import { QuarantineService } from './quarantine.service.js';
import { SuppressionResolver } from './suppression.resolver.js';
import { SuppressionService } from './suppression.service.js';

/** Members' alerts, the admins' suppression list and quarantine queue (API role). */
@Module({
  imports: [OutboxModule, AuditModule],
  providers: [AlertsService, AlertsResolver, SuppressionService, SuppressionResolver, QuarantineService, QuarantineResolver],
  exports: [AlertsService],
})
export class AlertsModule {}
