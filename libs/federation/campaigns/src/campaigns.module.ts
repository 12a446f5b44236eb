import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { IndicatorsModule } from '@app/indicators';
import { BundlesService } from './bundles.service.js';
import { CampaignStreamService } from './campaign-stream.service.js';
import { CampaignsResolver } from './campaigns.resolver.js';
import { CampaignsService } from './campaigns.service.js';

/** submitBundles, retractBundles, the campaigns queries and the campaignEvents subscription (API role). */
@Module({
  imports: [IndicatorsModule, AuthModule],
  providers: [BundlesService, CampaignsService, CampaignStreamService, CampaignsResolver],
  exports: [BundlesService, CampaignsService],
})
export class CampaignsModule {}

/** The campaign views alone, for the worker's webhook fan-out. */
@Module({
  providers: [CampaignsService],
  exports: [CampaignsService],
})
export class CampaignViewsModule {}
