import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditAction, AuditService, SYSTEM_ACTOR } from '@app/audit';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { PrismaService } from '@app/database';
import { RedisService } from '@app/redis';

const WINDOW_SECONDS = 60;
/** At most this many burst entries per hour across all clients, so the log cannot be flooded. */
export const MAX_BURST_ENTRIES_PER_HOUR = 20;

/**
 * Counts failed client authentications per client id and minute in Redis
 * (shared by every API process). When a client id passes the threshold, one
 * audit entry records the burst: not one entry per failure, which would let
 * an attacker flood the log. Only client ids that exist are counted (junk
 * ids cost nothing to invent), and burst entries are capped at
 * MAX_BURST_ENTRIES_PER_HOUR overall.
 */
@Injectable()
export class AuthFailureMonitor {
  private readonly logger = new Logger(AuthFailureMonitor.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
  ) {}

  /** Counts one failure; `clientId` undefined when the assertion named no plausible client. */
  async failed(clientId: string | undefined, requestId: string | undefined): Promise<void> {
    if (clientId === undefined) return;
    const subject = clientId;
    const window = Math.floor(Date.now() / 1000 / WINDOW_SECONDS);
    const key = `authfail:${subject}:${window}`;
    try {
      const known = await this.prisma.member.findUnique({ where: { clientId }, select: { id: true } });
      if (!known) return;
      const count = await this.redis.incr(key);
      if (count === 1) await this.redis.expire(key, WINDOW_SECONDS * 2);
      const threshold = this.config.auth.failureBurstThreshold;
      if (count !== threshold + 1) return;
      const hourKey = `authfail:bursts:${Math.floor(Date.now() / 3_600_000)}`;
      const bursts = await this.redis.incr(hourKey);
      if (bursts === 1) await this.redis.expire(hourKey, 7_200);
      if (bursts > MAX_BURST_ENTRIES_PER_HOUR) {
        this.logger.warn({ clientId: subject, threshold }, 'client authentication failure burst (audit cap reached, not recorded)');
        return;
      }
      await this.audit.record(this.prisma, {
        actor: SYSTEM_ACTOR,
        action: AuditAction.TokenFailureBurst,
        target: { type: 'client', id: subject },
        requestId,
        details: { failures: count, threshold, windowSeconds: WINDOW_SECONDS },
      });
      this.logger.warn({ clientId: subject, threshold }, 'client authentication failure burst');
    } catch (error) {
      // Monitoring must not change the token endpoint's answer.
      this.logger.error(`cannot count an authentication failure: ${(error as Error).message}`);
    }
  }
}
