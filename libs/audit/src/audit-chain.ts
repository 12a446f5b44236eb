import type { JsonValue } from '@app/common';
import type { PrismaService } from '@app/database';
import { auditEntryHash, GENESIS_HASH } from './audit-hash.js';

/** The outcome of checking the whole chain. */
export type AuditChainReport =
  | { ok: true; count: number; head: { id: string; hash: string } | null }
  | { ok: false; count: number; brokenId: string; reason: string };

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
    const rows = await prisma.auditEvent.findMany({
      where: lastId === undefined ? {} : { id: { gt: lastId } },
      orderBy: { id: 'asc' },
      take: batchSize,
    });
    for (const row of rows) {
      const id = row.id.toString();
      if (!previous.equals(Buffer.from(row.prevHash))) {
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
      const expected = auditEntryHash({ ...row, details: row.details as JsonValue });
      if (!expected.equals(Buffer.from(row.hash))) {
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
