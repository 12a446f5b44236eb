import { Args, Context, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import type { StreamContext } from '@app/alert-stream';
import { CurrentMember, type AuthenticatedMember } from '@app/auth';
import { Roles } from '@app/common';
import { SubmissionResult } from '@app/indicators';
import { BundlesService } from './bundles.service.js';
import { CampaignStreamService } from './campaign-stream.service.js';
import { CampaignsService } from './campaigns.service.js';
import { CampaignArgs, CampaignsArgs, OverCapCampaignsArgs, RetractBundlesArgs } from './dto/campaigns.args.js';
import { SubmitBundlesInput } from './dto/submit-bundles.input.js';
import { CampaignEventView } from './models/campaign-event.model.js';
import { BundleRetractionResult, Campaign, CampaignConnection, OverCapCampaign } from './models/campaign.model.js';

/** Bundles in, campaigns out: each member sees only its own part of each campaign. */
@Resolver()
export class CampaignsResolver {
  constructor(
    private readonly bundles: BundlesService,
    private readonly views: CampaignsService,
    private readonly stream: CampaignStreamService,
  ) {}

  @Mutation(() => SubmissionResult, {
    description:
      'Store bundles (what you saw together on one account each), all or nothing; their tokens count as your indicators too. ' +
      'accepted counts bundles new or changed, duplicates those stored exactly as before. Send them as variables.',
  })
  submitBundles(@CurrentMember() me: AuthenticatedMember, @Args('input') input: SubmitBundlesInput): Promise<SubmissionResult> {
    return this.bundles.submit(me.id, input);
  }

  @Mutation(() => BundleRetractionResult, {
    description: 'Remove your bundles by bundleRef; their campaigns are linked again (they may split or close). Your indicators stay.',
  })
  retractBundles(@CurrentMember() me: AuthenticatedMember, @Args() args: RetractBundlesArgs): Promise<BundleRetractionResult> {
    return this.bundles.retract(me.id, args.bundleRefs);
  }

  @Query(() => CampaignConnection, { description: 'The campaigns in which you have bundles, newest first.' })
  campaigns(@CurrentMember() me: AuthenticatedMember, @Args() args: CampaignsArgs): Promise<CampaignConnection> {
    return this.views.list(me.id, args);
  }

  @Query(() => Campaign, { description: 'One of your campaigns; CAMPAIGN_NOT_FOUND for any other id.' })
  campaign(@CurrentMember() me: AuthenticatedMember, @Args() args: CampaignArgs): Promise<Campaign> {
    return this.views.get(me.id, args.id);
  }

  @Roles('ADMIN')
  @Query(() => [OverCapCampaign], { description: 'Admins: components past CAMPAIGN_MAX_BUNDLES, frozen instead of grown.' })
  overCapCampaigns(@CurrentMember() me: AuthenticatedMember, @Args() args: OverCapCampaignsArgs): Promise<OverCapCampaign[]> {
    return this.views.overCap(me.id, args.first);
  }

  @Subscription(() => CampaignEventView, {
    description:
      'Your campaign changes as they happen (graphql-ws, authorized as alertEvents: the bearer token in the connection init payload; ' +
      'closed with 4401 when it expires, 4403 on suspension or key revocation). Live only: after reconnecting, re-sync with `campaigns`.',
    resolve: (event: CampaignEventView) => event,
  })
  campaignEvents(
    @CurrentMember() me: AuthenticatedMember,
    @Context() context: StreamContext,
  ): Promise<AsyncIterableIterator<CampaignEventView>> {
    return this.stream.open(me, context);
  }
}
