export { CampaignEventsPublisher } from './campaign-events.publisher.js';
export { CampaignsModule, CampaignViewsModule } from './campaigns.module.js';
export { CampaignsService } from './campaigns.service.js';
export { CampaignsWorkerModule } from './campaigns-worker.module.js';
export { Campaign } from './models/campaign.model.js';
