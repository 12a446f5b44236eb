import { Module } from '@nestjs/common';
import { IndicatorsModule } from '@app/indicators';
import { RateLimitModule } from '@app/rate-limit';
import { TemplateSignaturesResolver } from './template-signatures.resolver.js';
import { TemplateSignaturesService } from './template-signatures.service.js';

/** Submission and retraction of template signatures (API role). */
@Module({
  imports: [RateLimitModule, IndicatorsModule],
  providers: [TemplateSignaturesService, TemplateSignaturesResolver],
  exports: [TemplateSignaturesService],
})
export class SimilarityModule {}
