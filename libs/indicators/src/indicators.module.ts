import { Module } from '@nestjs/common';
import { OutboxModule } from '@app/outbox';
import { RateLimitModule } from '@app/rate-limit';
import { ActivityResolver } from './activity.resolver.js';
import { ActivityService } from './activity.service.js';
import { IndicatorsResolver } from './indicators.resolver.js';
import { IndicatorsService } from './indicators.service.js';

/** Submission and retraction of hashed indicators (API role). */
@Module({
  imports: [OutboxModule, RateLimitModule],
  providers: [IndicatorsService, IndicatorsResolver, ActivityService, ActivityResolver],
  exports: [IndicatorsService],
})
export class IndicatorsModule {}
