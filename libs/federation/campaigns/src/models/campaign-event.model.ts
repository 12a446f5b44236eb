import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { Campaign } from './campaign.model.js';

@ObjectType({ description: 'A change of one of your campaigns, pushed over the campaignEvents subscription.' })
export class CampaignEventView {
  @Field({ description: '`campaign.created`, `campaign.updated` or `campaign.closed` (the webhook event types).' })
  type: string;

  @Field(() => ID, { description: 'The campaign.' })
  campaignId: string;

  @Field(() => Int, { description: 'The campaign version this event announces.' })
  version: number;

  @Field(() => Campaign, {
    nullable: true,
    description: 'The campaign as you see it now; null when you no longer have bundles in it (campaign.closed).',
  })
  campaign: Campaign | null;

  @Field({ description: 'When the linker made the change, to the hour (UTC).' })
  occurredAt: Date;
}
