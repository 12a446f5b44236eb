import { Injectable } from '@nestjs/common';
import { decodeCursor, encodeCursor, invalidCursor, pageSize, toConnection, type ConnectionShape, type JsonObject } from '@app/common';
import { pgRows, Prisma, PrismaService, queryRows, type AuditEvent, type ParamsOf, type SqlClient } from '@app/database';
import type { AuditAction, AuditActor } from './audit-actions.js';
import { auditAppend } from './audit.sql.js';
import type { AuditLogArgs } from './dto/audit-log.args.js';
import type { AuditEntry } from './models/audit-entry.model.js';

/** One thing that happened, as a caller describes it. */
export interface AuditRecord {
  actor: AuditActor;
  action: AuditAction;
  target?: { type: string; id: string };
  requestId?: string;
  /** Facts worth keeping; never secrets, tokens or keys' private parts. */
  details?: JsonObject;
}

/** A transaction, or the client itself (record() then opens its own transaction). */
export type AuditDb = PrismaService | Prisma.TransactionClient;

/**
 * Serializes appends: audit_append() (migration 20261202210000) takes this
 * transaction-scoped advisory lock before reading the chain's head, so two
 * appends can never link to the same predecessor (the chain never forks).
 */
export const AUDIT_CHAIN_LOCK = 4_471_525_101;

const LIST = 'audit';
/** Largest PostgreSQL bigint: the highest id a cursor can name. */
const MAX_BIGINT = 2n ** 63n - 1n;

function toEntry(row: AuditEvent): AuditEntry {
  return {
    id: row.id.toString(),
    occurredAt: row.occurredAt,
    actorMemberId: row.actorMemberId,
    actorLabel: row.actorLabel,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    requestId: row.requestId,
    details: row.details as JsonObject,
    hash: Buffer.from(row.hash).toString('hex'),
    prevHash: Buffer.from(row.prevHash).toString('hex'),
  };
}

/** audit_append()'s parameters for a record. */
function appendParams(record: AuditRecord): ParamsOf<typeof auditAppend> {
  return [
    record.actor.memberId,
    record.actor.label,
    record.action,
    record.target?.type ?? null,
    record.target?.id ?? null,
    record.requestId ?? null,
    JSON.stringify(record.details ?? {}),
  ];
}

/** The append-only, hash-chained audit log. */
@Injectable()
export class AuditService {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Appends an entry. Pass the transaction of the change being audited so
   * both commit or neither does; record last in that transaction, since the
   * chain lock is held until it ends.
   */
  async record(db: AuditDb, record: AuditRecord): Promise<AuditEvent> {
    if ('$transaction' in db) return db.$transaction((tx) => this.append(tx, record));
    return this.append(db, record);
  }

  /** `record` in a plain node-postgres transaction (the worker's correlation pass): the same append, the same chain lock. */
  async recordSql(db: SqlClient, record: AuditRecord): Promise<void> {
    await pgRows(db, auditAppend, appendParams(record));
  }

  /** A page of the log, newest first, optionally only one action. */
  async list(args: AuditLogArgs): Promise<ConnectionShape<AuditEntry>> {
    const first = pageSize(args.first);
    const where: Prisma.AuditEventWhereInput = {};
    if (args.action) where.action = args.action;
    if (args.after) {
      const [id] = decodeCursor(LIST, args.after, ['string'] as const);
      // Digits only, and within bigint (an id beyond it failed in the query as an internal error).
      if (!/^\d{1,19}$/.test(id) || BigInt(id) > MAX_BIGINT) throw invalidCursor();
      where.id = { lt: BigInt(id) };
    }
    const rows = await this.prisma.auditEvent.findMany({ where, orderBy: { id: 'desc' }, take: first + 1 });
    return toConnection(rows, first, (row) => encodeCursor(LIST, [row.id.toString()]), toEntry);
  }

  /**
   * Appends through audit_append(), the only way in: a SECURITY DEFINER
   * function that takes the chain lock, picks id and timestamp and computes
   * the hash (the API and worker roles have no INSERT on audit_events).
   */
  private async append(tx: Prisma.TransactionClient, record: AuditRecord): Promise<AuditEvent> {
    const [{ id }] = await queryRows(tx, auditAppend, appendParams(record));
    return tx.auditEvent.findUniqueOrThrow({ where: { id } });
  }
}
