import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { Connection } from '@app/common';
import { CampaignStatus, IndicatorType } from '@app/database';
import '../graphql-enums.js';

@ObjectType({ description: 'One of your own bundles in a campaign.' })
export class CampaignBundle {
  @Field({ description: 'Your bundleRef.' })
  bundleRef: string;

  @Field({ description: 'False when none of its tokens is a match on its own: an account found only through the campaign.' })
  directMatch: boolean;
}

@ObjectType({ description: 'A token you hold that ties you to other members in this campaign.' })
export class CampaignToken {
  @Field(() => IndicatorType, { description: 'Type of the token.' })
  type: IndicatorType;

  @Field({ description: 'Key epoch of the token.' })
  keyEpoch: string;

  @Field({ description: 'The token (64 hex), as you submitted it.' })
  token: string;
}

@ObjectType({ description: 'How many distinct tokens of one type the campaign holds.' })
export class CampaignTokenCount {
  @Field(() => IndicatorType, { description: 'The type.' })
  type: IndicatorType;

  @Field(() => Int, { description: 'Distinct tokens of that type across all bundles of the campaign.' })
  count: number;
}

@ObjectType({
  description:
    'Accounts of several members linked by what they share, as one member sees it: its own bundles and tokens, and only counts (and disclosed names) about the others.',
})
export class Campaign {
  @Field(() => ID, { description: 'Campaign id; how ids survive splits and merges is in docs/campaigns.md.' })
  id: string;

  @Field(() => CampaignStatus, { description: 'ACTIVE while the component links at least MATCH_MIN_MEMBERS members; CLOSED after.' })
  status: CampaignStatus;

  @Field(() => Int, { description: 'Increases with every change you can see; receivers order events by it.' })
  version: number;

  @Field(() => Int, { description: 'Members with bundles in the campaign.' })
  memberCount: number;

  @Field(() => Int, { description: 'Bundles in the campaign, all members together.' })
  bundleCount: number;

  @Field(() => [CampaignBundle], { description: 'Your own bundles in it.' })
  ownBundles: CampaignBundle[];

  @Field(() => [CampaignToken], { description: 'Only tokens you hold that tie your bundles to other members.' })
  linkingTokens: CampaignToken[];

  @Field(() => [CampaignTokenCount], { description: 'Distinct tokens of the campaign by type.' })
  tokenCounts: CampaignTokenCount[];

  @Field({ description: 'The earliest observedAt of its bundles, to the day (UTC).' })
  firstSeenAt: Date;

  @Field({ description: 'The latest observedAt of its bundles, to the day (UTC).' })
  lastSeenAt: Date;

  @Field(() => [String], {
    description: 'Names of other members in it that chose discloseIdentity on a linking token; the rest stay anonymous.',
  })
  disclosedMembers: string[];
}

@ObjectType({ description: 'A page of campaigns, newest first.' })
export class CampaignConnection extends Connection(Campaign) {}

@ObjectType({ description: 'A component past CAMPAIGN_MAX_BUNDLES: frozen instead of grown, for admins to look at.' })
export class OverCapCampaign {
  @Field(() => ID, { description: 'Campaign id.' })
  id: string;

  @Field(() => CampaignStatus, { description: 'Its status when flagged.' })
  status: CampaignStatus;

  @Field(() => Int, { description: 'Members it had (or, if new, that the linker saw) when flagged.' })
  memberCount: number;

  @Field(() => Int, { description: 'Bundles it had (or, if new, that the linker saw) when flagged.' })
  bundleCount: number;

  @Field({ description: 'When it was first found past the cap.' })
  overCapAt: Date;
}

@ObjectType({ description: 'What a retractBundles call removed.' })
export class BundleRetractionResult {
  @Field(() => Int, { description: 'Bundles of yours that were removed (refs you did not hold are ignored).' })
  retracted: number;
}
