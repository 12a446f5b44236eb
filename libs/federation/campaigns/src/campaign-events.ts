export type { CampaignEvent, CampaignEventType, CampaignsChangedPayload, CampaignsRelinkPayload, CampaignTokenKey } from '@app/outbox';
