import { Module } from '@nestjs/common';
import { AlertsCoreModule } from './alerts-core.module.js';
import { AlertsResolver } from './alerts.resolver.js';
import { SuppressionResolver } from './suppression.resolver.js';

/** Members' alerts and the admins' suppression list over GraphQL (API role). */
@Module({
  imports: [AlertsCoreModule],
  providers: [AlertsResolver, SuppressionResolver],
  exports: [AlertsCoreModule],
})
export class AlertsModule {}
