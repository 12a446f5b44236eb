import { Injectable } from '@nestjs/common';
import { decodeCursor, encodeCursor, InputValidationError, pageSize, toConnection, type ConnectionShape } from '@app/common';
import { pgRows, PrismaService, type IndicatorType, type SqlClient } from '@app/database';
import { CampaignError, CampaignErrorCode } from './campaign.error.js';
import { CAMPAIGNS_BY_ID, CAMPAIGNS_PAGE, CAMPAIGNS_PAGE_AFTER, OVER_CAP, type CampaignRow } from './campaigns.sql.js';
import type { CampaignsArgs } from './dto/campaigns.args.js';
import type { Campaign, OverCapCampaign } from './models/campaign.model.js';

const LIST = 'campaigns';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toCampaign(row: CampaignRow): Campaign {
  return {
    ...row,
    ownBundles: row.ownBundles,
    linkingTokens: row.linkingTokens.map((t) => ({ ...t, type: t.type as IndicatorType })),
    tokenCounts: Object.entries(row.tokenCounts)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([type, count]) => ({ type: type as IndicatorType, count })),
  } as Campaign;
}

/**
 * Reads campaigns as one member sees them. Every query runs in the member's
 * transaction: row-level security shows a campaign only through the member's
 * own membership row, and its own bundles and tokens only; another member's
 * campaign is indistinguishable from none.
 */
@Injectable()
export class CampaignsService {
  constructor(private readonly prisma: PrismaService) {}

  /** The member's campaigns, newest first, as a Relay connection. */
  async list(memberId: string, args: CampaignsArgs): Promise<ConnectionShape<Campaign>> {
    const first = pageSize(args.first);
    const status = args.filter?.status ?? null;
    let afterId: string | undefined;
    if (args.after) {
      [afterId] = decodeCursor(LIST, args.after, ['string'] as const);
      if (!UUID.test(afterId)) {
        throw new InputValidationError([{ field: 'after', rule: 'cursor', message: 'after must be a cursor that this list returned' }]);
      }
    }
    const rows = await this.prisma.sqlAsMember(
      memberId,
      (db) =>
        afterId === undefined
          ? pgRows(db, CAMPAIGNS_PAGE, [memberId, status, first + 1])
          : pgRows(db, CAMPAIGNS_PAGE_AFTER, [memberId, status, first + 1, afterId]),
      { readOnly: true },
    );
    return toConnection(rows, first, (r) => encodeCursor(LIST, [r.id]), toCampaign);
  }

  /** One of the member's campaigns; CAMPAIGN_NOT_FOUND for any id that is not one of its own. */
  async get(memberId: string, id: string): Promise<Campaign> {
    const found = UUID.test(id) ? await this.getMany(memberId, [id]) : [];
    if (found.length === 0) throw new CampaignError(CampaignErrorCode.NotFound, 'campaign not found');
    return found[0];
  }

  /** Several of the member's campaigns in one query (webhook fan-out, subscriptions); ids not its own are left out. */
  async getMany(memberId: string, ids: readonly string[]): Promise<Campaign[]> {
    const valid = ids.filter((id) => UUID.test(id));
    if (valid.length === 0) return [];
    return this.prisma.sqlAsMember(memberId, (db) => this.readMany(db, memberId, valid), { readOnly: true });
  }

  private async readMany(db: SqlClient, memberId: string, ids: string[]): Promise<Campaign[]> {
    return (await pgRows(db, CAMPAIGNS_BY_ID, [memberId, ids])).map(toCampaign);
  }

  /** Campaigns past CAMPAIGN_MAX_BUNDLES, newest flag first, for an active admin (over_cap_campaigns checks it too). */
  async overCap(adminId: string, first: number | null | undefined): Promise<OverCapCampaign[]> {
    const limit = Math.min(Math.max(first ?? 50, 1), 500);
    const rows = await this.prisma.sqlAsMember(adminId, (db) => pgRows(db, OVER_CAP, [limit]), { readOnly: true });
    return rows as OverCapCampaign[];
  }
}
