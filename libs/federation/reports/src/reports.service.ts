import { Inject, Injectable } from '@nestjs/common';
import { InputValidationError } from '@app/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { PrismaService, queryRows } from '@app/database';
import { buildFederationReport } from './federation-report.js';
import { federationReportDisclosed, federationReportFacts, memberHealthFacts } from './reports.sql.js';
import type { FederationReport, ReportDisclosedMember } from './models/federation-report.model.js';
import type { MemberHealth } from './models/member-health.model.js';

const DAY_MS = 86_400_000;
/** An active member that submitted nothing for this long is `silent`. */
export const MEMBER_SILENT_DAYS = 7;
/** An active key unused at the token endpoint for this long is `key_unused`. */
export const KEY_UNUSED_DAYS = 90;
/** Undelivered for longer than this, a delivery makes the receiver `failing_receiver`. */
const UNDELIVERED_ALERT_MS = 3_600_000;
/** Longest period one report covers. */
const REPORT_MAX_DAYS = 366;

/**
 * Cross-member views for operators. The counts cross members, which
 * row-level security hides from the API's role: they come from SECURITY
 * DEFINER functions that answer an active admin's transaction only.
 */
@Injectable()
export class ReportsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
  ) {}

  /** Every member's health, those needing attention first. */
  async memberHealth(adminId: string, now = new Date()): Promise<MemberHealth[]> {
    const [rows, members] = await this.prisma.asMember(adminId, async (tx) => [
      await queryRows(tx, memberHealthFacts, []),
      await tx.member.findMany({
        select: {
          id: true,
          status: true,
          createdAt: true,
          probingThrottledSince: true,
          keys: { select: { status: true, lastUsedAt: true, createdAt: true } },
        },
      }),
    ]);
    const byId = new Map(members.map((m) => [m.id, m]));
    const health = rows.map((row): MemberHealth => {
      const member = byId.get(row.member_id);
      const keys = member?.keys ?? [];
      const used = keys.map((k) => k.lastUsedAt).filter((d): d is Date => d !== null);
      const keyLastUsedAt = used.length ? new Date(Math.max(...used.map((d) => d.getTime()))) : null;
      const failureRate = row.deliveries_day > 0 ? row.failed_day / row.deliveries_day : 0;
      const attention: string[] = [];
      if (member?.status === 'ACTIVE') {
        const since = row.last_submission_at ?? member.createdAt;
        if (now.getTime() - since.getTime() > MEMBER_SILENT_DAYS * DAY_MS) attention.push('silent');
      }
      if (
        row.disabled_endpoints > 0 ||
        failureRate > 0 ||
        (row.oldest_undelivered_at && now.getTime() - row.oldest_undelivered_at.getTime() > UNDELIVERED_ALERT_MS)
      ) {
        attention.push('failing_receiver');
      }
      const stale = keys.some(
        (k) => k.status === 'ACTIVE' && now.getTime() - (k.lastUsedAt ?? k.createdAt).getTime() > KEY_UNUSED_DAYS * DAY_MS,
      );
      if (stale) attention.push('key_unused');
      if (member?.probingThrottledSince) attention.push('probing_throttled');
      return {
        memberId: row.member_id,
        lastSubmissionAt: row.last_submission_at,
        indicatorsHeld: Number(row.indicators_held),
        webhookEndpoints: row.endpoints,
        disabledWebhookEndpoints: row.disabled_endpoints,
        deliveriesLastDay: row.deliveries_day,
        webhookFailureRate: failureRate,
        oldestUndeliveredAt: row.oldest_undelivered_at,
        keyLastUsedAt,
        attention,
      };
    });
    return health.sort((a, b) => b.attention.length - a.attention.length || a.memberId.localeCompare(b.memberId));
  }

  /** The federation report for [from, to), k-anonymous under MATCH_MIN_MEMBERS. */
  async federationReport(adminId: string, from: Date, to: Date): Promise<FederationReport> {
    if (!(from.getTime() < to.getTime())) {
      throw new InputValidationError([{ field: 'to', rule: 'afterFrom', message: 'to must be after from' }]);
    }
    if (to.getTime() - from.getTime() > REPORT_MAX_DAYS * DAY_MS) {
      throw new InputValidationError([
        { field: 'to', rule: 'maxPeriodDays', message: `the period from from to to may be at most ${REPORT_MAX_DAYS} days long` },
      ]);
    }
    const [facts, disclosed] = await this.prisma.asMember(adminId, async (tx) => [
      await queryRows(tx, federationReportFacts, [from, to]),
      await queryRows(tx, federationReportDisclosed, [from, to]),
    ]);
    const lines: ReportDisclosedMember[] = disclosed.map((d) => ({
      memberId: d.member_id,
      name: d.name,
      indicators: Number(d.indicators),
      matched: Number(d.matched),
    }));
    return buildFederationReport({ from, to }, this.config.correlation.minMembers, facts, lines);
  }
}
