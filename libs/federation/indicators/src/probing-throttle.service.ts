import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditAction, AuditService, memberActor, SYSTEM_ACTOR } from '@app/audit';
import type { AuthenticatedMember } from '@app/auth';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { PrismaService, queryRows } from '@app/database';
import { OutboxService } from '@app/outbox';
import { RateLimitService } from '@app/rate-limit';
import type { LiftProbingThrottleArgs } from './dto/lift-probing-throttle.args.js';
import { IndicatorError, IndicatorErrorCode } from './indicator.error.js';
import { liftThrottle, throttleMember, type ThrottleRow } from './indicators.sql.js';
import type { ProbingThrottle } from './models/probing-throttle.model.js';

/** A member's probing counters over the current window. */
export interface ProbingCounts {
  indicators: number;
  newIndicators: number;
}

/**
 * Whether the counts look like probing the federation as a lookup oracle:
 * many indicators in the window, almost all new to the member. The same
 * rule as memberActivity's `probing` flag.
 */
export function looksLikeProbing(counts: ProbingCounts, rules: { minIndicators: number; minNewShare: number }): boolean {
  return counts.indicators >= rules.minIndicators && counts.newIndicators >= rules.minNewShare * counts.indicators;
}

/**
 * Throttles members found probing at submit time, from counters in Redis
 * (two increments per stored batch, no scan), and lets admins lift it.
 */
@Injectable()
export class ProbingThrottleService {
  private readonly logger = new Logger(ProbingThrottleService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly rateLimits: RateLimitService,
  ) {}

  /**
   * Counts a stored batch of a member not throttled now, and throttles it
   * when the window's counts cross the thresholds. The counters restart
   * when an admin lifts a throttle (`liftedAt` names their generation), so
   * a lift is not undone by the counts that caused it. Never throws: the
   * batch is stored already, and the next one checks again.
   */
  async observe(memberId: string, liftedAt: Date | null, sent: number, accepted: number): Promise<void> {
    const { windowHours } = this.config.probing;
    const totals = await this.rateLimits.tally(`probe:${memberId}:${liftedAt?.getTime() ?? 0}`, [sent, accepted], windowHours * 3_600_000);
    if (!totals) return;
    const counts = { indicators: totals[0], newIndicators: totals[1] };
    if (!looksLikeProbing(counts, this.config.probing)) return;
    await this.throttle(memberId, counts).catch((error: Error) => {
      this.logger.warn(`could not throttle probing member ${memberId} (the next batch tries again): ${error.message}`);
    });
  }

  /** Lifts a member's probing throttle (admin); audited. Its normal quota applies from the next batch on. */
  async lift(admin: AuthenticatedMember, args: LiftProbingThrottleArgs, requestId?: string): Promise<ProbingThrottle> {
    return this.prisma.$transaction(async (tx) => {
      const [lifted] = await queryRows(tx, liftThrottle, [admin.id, args.memberId]);
      if (!lifted) {
        const exists = await tx.member.count({ where: { id: args.memberId } });
        if (!exists) throw new IndicatorError(IndicatorErrorCode.MemberNotFound, 'Member not found');
        throw new IndicatorError(IndicatorErrorCode.NotProbingThrottled, 'This member is not throttled for probing');
      }
      await this.audit.record(tx, {
        actor: memberActor(admin),
        action: AuditAction.ProbingThrottleLifted,
        target: { type: 'member', id: args.memberId },
        requestId,
        details: { reason: args.reason, throttledSince: lifted.liftedSince.toISOString(), throttleReason: lifted.liftedReason },
      });
      return toThrottle(lifted);
    });
  }

  /**
   * Marks the member throttled, publishes the admins' webhook event and
   * audits it, in one transaction; a member throttled already (a concurrent
   * batch got there first) is left as it is.
   */
  private async throttle(memberId: string, counts: ProbingCounts): Promise<void> {
    const { windowHours, minIndicators, minNewShare, throttledQuotaPerHour } = this.config.probing;
    const share = counts.newIndicators / counts.indicators;
    const reason =
      `${counts.indicators} indicators within ${windowHours} h, ${(share * 100).toFixed(1)} % of them new ` +
      `(thresholds: PROBING_MIN_INDICATORS ${minIndicators}, PROBING_MIN_NEW_SHARE ${minNewShare})`;
    await this.prisma.$transaction(async (tx) => {
      const [member] = await queryRows(tx, throttleMember, [memberId, reason]);
      if (!member) return;
      const facts = {
        windowHours,
        windowIndicators: counts.indicators,
        windowNewIndicators: counts.newIndicators,
        throttledQuotaPerHour,
      };
      await this.outbox.publish(tx, 'member.probing_throttled', {
        memberId,
        clientId: member.clientId,
        name: member.name,
        since: member.since.toISOString(),
        reason,
        ...facts,
      });
      await this.audit.record(tx, {
        actor: SYSTEM_ACTOR,
        action: AuditAction.ProbingThrottled,
        target: { type: 'member', id: memberId },
        details: { clientId: member.clientId, reason, ...facts },
      });
    });
    this.logger.warn(`member ${memberId} throttled for probing: ${reason}`);
  }
}

function toThrottle(row: ThrottleRow): ProbingThrottle {
  return {
    memberId: row.memberId,
    throttled: row.since !== null,
    since: row.since,
    reason: row.reason,
    liftedAt: row.liftedAt,
    liftedBy: row.liftedBy,
  };
}
