import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { OutboxModule } from '@app/outbox';
import { AlertsResolver } from './alerts.resolver.js';
import { AlertsService } from './alerts.service.js';
import { SuppressionResolver } from './suppression.resolver.js';
import { SuppressionService } from './suppression.service.js';

/** Members' alerts and the admins' suppression list (API role). */
@Module({
  imports: [OutboxModule, AuditModule],
  providers: [AlertsService, AlertsResolver, SuppressionService, SuppressionResolver],
  exports: [AlertsService],
})
export class AlertsModule {}
