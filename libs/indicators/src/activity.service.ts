import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { PrismaService } from '@app/database';
import type { MemberActivity } from './models/member-activity.model.js';
import { looksLikeProbing } from './probing-throttle.service.js';

type Row = Omit<MemberActivity, 'newShare' | 'alertsPerThousand' | 'probing' | 'throttled'>;

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
    const rows = await this.prisma.asMember(
      adminId,
      (tx) => tx.$queryRaw<Row[]>`
        SELECT m.id AS "memberId", m.name, m.client_id AS "clientId",
               COALESCE(c.submissions, 0) AS submissions, COALESCE(c.indicators, 0) AS indicators,
               COALESCE(c.new_indicators, 0) AS "newIndicators", COALESCE(c.alerts, 0) AS "alertsCreated",
               m.probing_throttled_since AS "throttledSince", m.probing_throttle_reason AS "throttleReason"
          FROM members m
          LEFT JOIN member_activity_counts(now() - make_interval(hours => ${windowHours})) c ON c.member_id = m.id
         WHERE c.member_id IS NOT NULL OR m.probing_throttled_since IS NOT NULL
         ORDER BY indicators DESC, m.id`,
    );
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
