import { Injectable } from '@nestjs/common';
import {
  decodeCursor,
  encodeCursor,
  invalidCursor,
  pageSize,
  toConnection,
  type ConnectionShape,
  type JsonObject,
  type JsonValue,
} from '@app/common';
import { Prisma, PrismaService, type AuditEvent } from '@app/database';
import type { AuditAction, AuditActor } from './audit-actions.js';
import { auditEntryHash, GENESIS_HASH } from './audit-hash.js';
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
 * Serializes appends: every writer takes this transaction-scoped advisory
 * lock before reading the chain's head, so two appends can never link to
 * the same predecessor (the chain never forks).
 */
const AUDIT_CHAIN_LOCK = 4_471_525_101;

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

  private async append(tx: Prisma.TransactionClient, record: AuditRecord): Promise<AuditEvent> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK}::bigint)`;
    const head = await tx.auditEvent.findFirst({ orderBy: { id: 'desc' }, select: { hash: true } });
    const [{ id }] = await tx.$queryRaw<{ id: bigint }[]>`
      SELECT nextval(pg_get_serial_sequence('audit_events', 'id')) AS id`;
    // Round-trip through JSON so the hashed value is exactly what jsonb will hold.
    const details = JSON.parse(JSON.stringify(record.details ?? {})) as JsonValue;
    const fields = {
      id,
      occurredAt: new Date(),
      actorMemberId: record.actor.memberId,
      actorLabel: record.actor.label,
      action: record.action,
      targetType: record.target?.type ?? null,
      targetId: record.target?.id ?? null,
      requestId: record.requestId ?? null,
      details,
      prevHash: head ? Buffer.from(head.hash) : GENESIS_HASH,
    };
    const hash = auditEntryHash(fields);
    return tx.auditEvent.create({
      data: {
        ...fields,
        details: details as Prisma.InputJsonValue,
        prevHash: new Uint8Array(fields.prevHash),
        hash: new Uint8Array(hash),
      },
    });
  }
}
