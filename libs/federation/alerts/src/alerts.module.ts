import { Module } from '@nestjs/common';
import { AlertsCoreModule } from './alerts-core.module.js';
import { AlertsResolver } from './alerts.resolver.js';
import { QuarantineResolver } from './quarantine.resolver.js';
import { SuppressionResolver } from './suppression.resolver.js';

/** Members' alerts, the admins' suppression list and quarantine queue over GraphQL (API role). */
@Module({
  imports: [AlertsCoreModule],
  providers: [AlertsResolver, SuppressionResolver, QuarantineResolver],
  exports: [AlertsCoreModule],
})
export class AlertsModule {}
