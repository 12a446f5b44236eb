/** A token as events carry it. */
export interface CampaignTokenKey {
  type: string;
  keyEpoch: string;
  token: string;
}

/**
 * Payload of `campaigns.relink`: wakes the linker, which drains
 * campaign_link_queue. `memberId` re-links that member's bundles (its
 * suspension or reinstatement); `keys` re-links what those tokens join (the
 * suppression list changed).
 */
export interface CampaignsRelinkPayload {
  memberId?: string;
  keys?: CampaignTokenKey[];
}

/** What a member is told about a campaign. */
export type CampaignEventType = 'campaign.created' | 'campaign.updated' | 'campaign.closed';

/** One change of one campaign as one member sees it: ids only, never content. */
export interface CampaignEvent {
  campaignId: string;
  memberId: string;
  type: CampaignEventType;
  version: number;
}

/** Payload of `campaigns.changed` (written by the linker): webhooks and the campaignEvents subscription. */
export interface CampaignsChangedPayload {
  events: CampaignEvent[];
  occurredAt: string;
}
