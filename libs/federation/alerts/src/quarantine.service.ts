import { Injectable } from '@nestjs/common';
import { AuditAction, AuditService, type AuditActor } from '@app/audit';
import type { ConnectionArgs, ConnectionShape } from '@app/common';
import { PrismaService, queryRows } from '@app/database';
import { OutboxService } from '@app/outbox';
import { AlertError, AlertErrorCode } from './alert.error.js';
import type { ReleaseQuarantineInput } from './dto/quarantine.input.js';
import { quarantinedTokensPage, quarantinedTokensPageAfter, releaseQuarantined } from './alerts.sql.js';
import type { QuarantinedToken } from './models/quarantined-token.model.js';
import { tokenListPage } from './token-list-page.js';

const LIST = 'quarantined';

/**
 * The admins' side of quarantine (the worker quarantines: CorrelationService).
 * A release is audited, recorded (only verdicts given after it count towards
 * quarantining the token again) and re-evaluates the token's match through
 * the outbox in the same transaction; with `suppress` the token goes onto the
 * suppression list in that transaction, so it never matches in between.
 */
@Injectable()
export class QuarantineService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
  ) {}

  /** Releases a quarantined token, or moves it to the suppression list; NOT_QUARANTINED when it is not quarantined. */
  async release(actor: AuditActor, input: ReleaseQuarantineInput, requestId?: string): Promise<boolean> {
    const token = Buffer.from(input.token, 'hex');
    const key = { type: input.type, keyEpoch: input.keyEpoch, token };
    const target = { type: 'quarantined_token', id: `${input.type}:${input.keyEpoch}:${input.token}` };
    return this.prisma.$transaction(async (tx) => {
      const released = await queryRows(tx, releaseQuarantined, [input.type, input.keyEpoch, token]);
      if (released.length === 0) throw new AlertError(AlertErrorCode.NotQuarantined, 'token is not quarantined');
      const releasedAt = new Date();
      await tx.quarantineRelease.upsert({
        where: { type_keyEpoch_token: key },
        create: { ...key, releasedAt, releasedById: actor.memberId },
        update: { releasedAt, releasedById: actor.memberId },
      });
      const suppress = input.suppress === true;
      if (suppress) {
        const reason = input.reason as string;
        await tx.suppressedToken.upsert({
          where: { type_keyEpoch_token: key },
          create: { ...key, reason, createdById: actor.memberId },
          update: { reason },
        });
        await this.audit.record(tx, {
          actor,
          action: AuditAction.TokenSuppressed,
          target: { type: 'suppressed_token', id: target.id },
          requestId,
          details: { reason, fromQuarantine: true },
        });
      }
      await this.outbox.publish(tx, 'quarantine.changed', {
        keys: [{ type: input.type, keyEpoch: input.keyEpoch, token: input.token }],
      });
      await this.audit.record(tx, {
        actor,
        action: AuditAction.QuarantineReleased,
        target,
        requestId,
        details: {
          suppress,
          falsePositives: released[0].falsePositives,
          confirmations: released[0].confirmations,
          ...(input.reason != null ? { reason: input.reason } : {}),
        },
      });
      return true;
    });
  }

  /** The quarantine queue, newest first. */
  async list(args: ConnectionArgs): Promise<ConnectionShape<QuarantinedToken>> {
    return tokenListPage<QuarantinedToken>(this.prisma, LIST, { first: quarantinedTokensPage, after: quarantinedTokensPageAfter }, args);
  }
}
