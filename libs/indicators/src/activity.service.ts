import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { PrismaService } from '@app/database';
import type { MemberActivity } from './models/member-activity.model.js';

type Row = Omit<MemberActivity, 'newShare' | 'alertsPerThousand' | 'probing'>;

/**
 * Per-member submission volumes and alert rates, read from the submissions
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

  /** Every member active in the last `windowHours`, busiest first. */
  async memberActivity(windowHours: number): Promise<MemberActivity[]> {
    const rows = await this.prisma.$queryRaw<Row[]>`
      WITH subs AS (
        SELECT member_id, count(*)::int AS submissions,
               sum(accepted + duplicates)::float8 AS indicators, sum(accepted)::float8 AS new_indicators
          FROM submissions
         WHERE created_at >= now() - make_interval(hours => ${windowHours})
         GROUP BY member_id
      ), made AS (
        SELECT member_id, count(*)::int AS alerts
          FROM alerts
         WHERE created_at >= now() - make_interval(hours => ${windowHours})
         GROUP BY member_id
      )
      SELECT m.id AS "memberId", m.name, m.client_id AS "clientId",
             COALESCE(s.submissions, 0) AS submissions, COALESCE(s.indicators, 0) AS indicators,
             COALESCE(s.new_indicators, 0) AS "newIndicators", COALESCE(a.alerts, 0) AS "alertsCreated"
        FROM members m
        LEFT JOIN subs s ON s.member_id = m.id
        LEFT JOIN made a ON a.member_id = m.id
       WHERE s.member_id IS NOT NULL OR a.member_id IS NOT NULL
       ORDER BY indicators DESC, m.id`;
    const { minIndicators, minNewShare } = this.config.probing;
    return rows.map((row) => {
      const newShare = row.indicators > 0 ? row.newIndicators / row.indicators : 0;
      return {
        ...row,
        newShare,
        alertsPerThousand: row.indicators > 0 ? (row.alertsCreated * 1000) / row.indicators : 0,
        probing: row.indicators >= minIndicators && newShare >= minNewShare,
      };
    });
  }
}
