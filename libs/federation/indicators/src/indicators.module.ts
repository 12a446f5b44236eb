import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { OutboxModule } from '@app/outbox';
import { RateLimitModule } from '@app/rate-limit';
import { ActivityResolver } from './activity.resolver.js';
import { ActivityService } from './activity.service.js';
import { IndicatorsResolver } from './indicators.resolver.js';
import { IndicatorsService } from './indicators.service.js';
import { ProbingThrottleService } from './probing-throttle.service.js';
import { SubmissionGate } from './submission-gate.js';
import { SubmissionQuotas } from './submission-quotas.js';

/** Submission and retraction of hashed indicators (API role). */
@Module({
  imports: [OutboxModule, RateLimitModule, AuditModule],
  providers: [
    IndicatorsService,
    IndicatorsResolver,
    SubmissionGate,
    SubmissionQuotas,
    ProbingThrottleService,
    ActivityService,
    ActivityResolver,
  ],
  // The gate (budget, quotas, probing throttle) also admits template signatures (libs/federation/similarity).
  exports: [IndicatorsService, SubmissionGate, SubmissionQuotas, ProbingThrottleService],
})
export class IndicatorsModule {}
