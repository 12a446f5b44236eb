import { queryRows, type PrismaService } from '@app/database';
import { auditEntryHash, auditEntryHashV2, GENESIS_HASH } from './audit-hash.js';
import { auditEntriesAfter, type RawAuditRow } from './audit.sql.js';

type RawRow = RawAuditRow;

function recompute(row: RawRow): Buffer {
  if (row.hash_version === 2) {
    return auditEntryHashV2({
      id: row.id.toString(),
      occurredAtUs: row.occurred_at_us,
      actorMemberId: row.actor_member_id,
      actorLabel: row.actor_label,
      action: row.action,
      targetType: row.target_type,
      targetId: row.target_id,
      requestId: row.request_id,
      detailsText: row.details_text,
      prevHash: row.prev_hash,
    });
  }
  return auditEntryHash({
    id: row.id,
    occurredAt: row.occurred_at,
    actorMemberId: row.actor_member_id,
    actorLabel: row.actor_label,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    requestId: row.request_id,
    details: row.details,
    prevHash: row.prev_hash,
  });
}

/** The outcome of checking the whole chain. */
export type AuditChainReport =
  { ok: true; count: number; head: { id: string; hash: string } | null } | { ok: false; count: number; brokenId: string; reason: string };

/**
 * Walks the audit log in id order and recomputes every hash. Returns the
 * first entry whose content no longer matches its hash, or whose prev_hash
 * does not match the entry before it (an entry was removed or reordered).
 * Removing the newest entries leaves a valid shorter chain; compare the head
 * with one recorded elsewhere to detect that.
 */
export async function verifyAuditChain(prisma: PrismaService, batchSize = 1_000): Promise<AuditChainReport> {
  let previous: Buffer = GENESIS_HASH;
  let lastId: bigint | undefined;
  let count = 0;
  for (;;) {
    const rows = await queryRows(prisma, auditEntriesAfter, [lastId ?? -1n, batchSize]);
    for (const row of rows) {
      const id = row.id.toString();
      if (!previous.equals(Buffer.from(row.prev_hash))) {
        return {
          ok: false,
          count,
          brokenId: id,
          reason:
            count === 0
              ? 'prev_hash is not the genesis value: entries before it were removed'
              : 'prev_hash does not match the hash of the entry before it: an entry was removed, inserted or altered',
        };
      }
      const expected = recompute(row);
      if (hashVersionUnknown(row) || !expected.equals(Buffer.from(row.hash))) {
        return { ok: false, count, brokenId: id, reason: 'hash does not match the entry’s content: the entry was altered' };
      }
      previous = expected;
      lastId = row.id;
      count += 1;
    }
    if (rows.length < batchSize) break;
  }
  return {
    ok: true,
    count,
    head: lastId === undefined ? null : { id: lastId.toString(), hash: previous.toString('hex') },
  };
}

function hashVersionUnknown(row: RawRow): boolean {
  return row.hash_version !== 1 && row.hash_version !== 2;
}
