import './graphql-enums.js';
export { BundlesService } from './bundles.service.js';
export type {
  CampaignEvent,
  CampaignEventType,
  CampaignsChangedPayload,
  CampaignsRelinkPayload,
  CampaignTokenKey,
} from './campaign-events.js';
export { CampaignEventsPublisher } from './campaign-events.publisher.js';
export { CampaignError, CampaignErrorCode } from './campaign.error.js';
export { CampaignLinker } from './campaign-linker.service.js';
export { campaignEventsChannel, type CampaignStreamMessage } from './campaign-stream.js';
export { CampaignsModule, CampaignViewsModule } from './campaigns.module.js';
export { CampaignsService } from './campaigns.service.js';
export { CampaignsWorkerModule } from './campaigns-worker.module.js';
export { BundleIndicatorInput, BundleInput, SubmitBundlesInput } from './dto/submit-bundles.input.js';
export { linkComponents, planIds, type KeyStanding, type LinkedComponent, type LinkNode } from './link-components.js';
export { Campaign, CampaignConnection } from './models/campaign.model.js';
export { CampaignEventView } from './models/campaign-event.model.js';
