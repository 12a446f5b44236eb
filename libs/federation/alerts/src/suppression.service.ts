import { Injectable } from '@nestjs/common';
import { AuditAction, AuditService, type AuditActor } from '@app/audit';
import type { ConnectionArgs, ConnectionShape } from '@app/common';
import { PrismaService, queryRows } from '@app/database';
import { OutboxService } from '@app/outbox';
import { AlertError, AlertErrorCode } from './alert.error.js';
import { suppressedTokensPage, suppressedTokensPageAfter } from './alerts.sql.js';
import type { SuppressTokenInput, UnsuppressTokenInput } from './dto/suppression.input.js';
import type { SuppressedToken } from './models/suppressed-token.model.js';
import { tokenListPage } from './token-list-page.js';

const LIST = 'suppressed';

/**
 * The federation's list of known-benign tokens (admin only). A change is
 * audited and re-evaluates the token's match through the outbox, in the same
 * transaction: suppressing closes open alerts, lifting it may reopen them.
 */
@Injectable()
export class SuppressionService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
  ) {}

  /** Adds (or re-words) a suppression. */
  async suppress(actor: AuditActor, input: SuppressTokenInput, requestId?: string): Promise<SuppressedToken> {
    const token = Buffer.from(input.token, 'hex');
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.suppressedToken.upsert({
        where: { type_keyEpoch_token: { type: input.type, keyEpoch: input.keyEpoch, token } },
        create: { type: input.type, keyEpoch: input.keyEpoch, token, reason: input.reason, createdById: actor.memberId },
        update: { reason: input.reason },
      });
      await this.outbox.publish(tx, 'suppression.changed', {
        keys: [{ type: input.type, keyEpoch: input.keyEpoch, token: input.token }],
      });
      await this.audit.record(tx, {
        actor,
        action: AuditAction.TokenSuppressed,
        target: { type: 'suppressed_token', id: `${input.type}:${input.keyEpoch}:${input.token}` },
        requestId,
        details: { reason: input.reason },
      });
      return { ...row, token: input.token };
    });
  }

  /** Removes a suppression; NOT_FOUND when the token was not suppressed. */
  async unsuppress(actor: AuditActor, input: UnsuppressTokenInput, requestId?: string): Promise<boolean> {
    const token = Buffer.from(input.token, 'hex');
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.suppressedToken.deleteMany({ where: { type: input.type, keyEpoch: input.keyEpoch, token } });
      if (count === 0) throw new AlertError(AlertErrorCode.NotSuppressed, 'token is not suppressed');
      await this.outbox.publish(tx, 'suppression.changed', {
        keys: [{ type: input.type, keyEpoch: input.keyEpoch, token: input.token }],
      });
      await this.audit.record(tx, {
        actor,
        action: AuditAction.TokenUnsuppressed,
        target: { type: 'suppressed_token', id: `${input.type}:${input.keyEpoch}:${input.token}` },
        requestId,
      });
      return true;
    });
  }

  /** The list, newest first. */
  async list(args: ConnectionArgs): Promise<ConnectionShape<SuppressedToken>> {
    return tokenListPage<SuppressedToken>(this.prisma, LIST, { first: suppressedTokensPage, after: suppressedTokensPageAfter }, args);
  }
}
