import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { PrismaService, queryRows } from '@app/database';
import { memberActivity as memberActivitySql } from './indicators.sql.js';
import type { MemberActivity } from './models/member-activity.model.js';
import { looksLikeProbing } from './probing-throttle.service.js';

/**
 * Per-member submission volumes and alert rates, counted from the submissions
 * and alerts tables. Anyone holding the federation key can use the server as
 * a lookup oracle (submit guesses, see which alert); a member submitting
 * many distinct tokens, almost all new to it, in a short time is flagged.
 */
@Injectable()
export class ActivityService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
  ) {}

  /**
   * Every member active in the last `windowHours` or throttled for probing,
   * busiest first. The counts cross members, which row-level security hides
   * from the API's role: they come from `member_activity_counts`, which
   * answers an active admin's transaction only.
   */
  async memberActivity(adminId: string, windowHours: number): Promise<MemberActivity[]> {
    const rows = await this.prisma.asMember(adminId, (tx) => queryRows(tx, memberActivitySql, [windowHours]));
    const { minIndicators, minNewShare } = this.config.probing;
    return rows.map((row) => {
      const newShare = row.indicators > 0 ? row.newIndicators / row.indicators : 0;
      return {
        ...row,
        newShare,
        alertsPerThousand: row.indicators > 0 ? (row.alertsCreated * 1000) / row.indicators : 0,
        probing: looksLikeProbing(row, { minIndicators, minNewShare }),
        throttled: row.throttledSince !== null,
      };
    });
  }
}
