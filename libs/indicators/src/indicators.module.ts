import { Module } from '@nestjs/common';
import { OutboxModule } from '@app/outbox';
import { IndicatorsResolver } from './indicators.resolver.js';
import { IndicatorsService } from './indicators.service.js';

/** Submission and retraction of hashed indicators (API role). */
@Module({
  imports: [OutboxModule],
  providers: [IndicatorsService, IndicatorsResolver],
  exports: [IndicatorsService],
})
export class IndicatorsModule {}
