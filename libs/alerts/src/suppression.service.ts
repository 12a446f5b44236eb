import { Injectable } from '@nestjs/common';
import { AuditAction, AuditService, type AuditActor } from '@app/audit';
import {
  ConnectionArgs,
  decodeCursor,
  encodeCursor,
  InputValidationError,
  isTimestampKey,
  pageSize,
  toConnection,
  type ConnectionShape,
} from '@app/common';
import { Prisma, PrismaService } from '@app/database';
import { OutboxService } from '@app/outbox';
import { JobName } from '@app/queue';
import { KEY_EPOCH_PATTERN } from '@app/sdk';
import { AlertError, AlertErrorCode } from './alert.exception.js';
import type { SuppressTokenInput, UnsuppressTokenInput } from './dto/suppression.input.js';
import type { SuppressedToken } from './models/suppressed-token.model.js';

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
      await this.outbox.publish(tx, JobName.events.SuppressionChanged, {
        keys: [{ type: input.type, keyEpoch: input.keyEpoch, token: input.token }],
      });
      // A suppressed token links no bundles: the campaigns joined through it are linked again.
      await this.outbox.publish(tx, JobName.events.CampaignsRelink, {
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
      await this.outbox.publish(tx, JobName.events.SuppressionChanged, {
        keys: [{ type: input.type, keyEpoch: input.keyEpoch, token: input.token }],
      });
      // A suppressed token links no bundles: the campaigns joined through it are linked again.
      await this.outbox.publish(tx, JobName.events.CampaignsRelink, {
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
    const first = pageSize(args.first);
    let position = Prisma.sql`TRUE`;
    if (args.after) {
      const [created, type, keyEpoch, token] = decodeCursor(LIST, args.after, ['string', 'string', 'string', 'string'] as const);
      if (!isTimestampKey(created) || !/^[0-9a-f]{64}$/.test(token) || !/^[A-Z_]{1,32}$/.test(type) || !KEY_EPOCH_PATTERN.test(keyEpoch)) {
        throw new InputValidationError([{ field: 'after', rule: 'cursor', message: 'after must be a cursor that this list returned' }]);
      }
      position = Prisma.sql`(created_at, type::text, key_epoch, token) <
                            (${created}::timestamptz, ${type}, ${keyEpoch}, decode(${token}, 'hex'))`;
    }
    const rows = await this.prisma.$queryRaw<(SuppressedToken & { createdKey: string })[]>`
      SELECT type, key_epoch AS "keyEpoch", encode(token, 'hex') AS token, reason, created_at AS "createdAt",
             created_at::text AS "createdKey"
        FROM suppressed_tokens
       WHERE ${position}
       ORDER BY created_at DESC, type::text DESC, key_epoch DESC, token DESC
       LIMIT ${first + 1}`;
    return toConnection(
      rows,
      first,
      (r) => encodeCursor(LIST, [r.createdKey, r.type, r.keyEpoch, r.token]),
      ({ createdKey: _key, ...row }) => row,
    );
  }
}
