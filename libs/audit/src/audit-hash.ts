import { createHash } from 'node:crypto';
import type { JsonValue } from '@app/common';

/** prev_hash of the first entry: 32 zero bytes. */
export const GENESIS_HASH: Buffer = Buffer.alloc(32);

/** The fields of an entry that its hash covers (everything but the hash itself). */
export interface HashedAuditFields {
  id: bigint;
  occurredAt: Date;
  actorMemberId: string | null;
  actorLabel: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  details: JsonValue;
  prevHash: Uint8Array;
}

/**
 * JSON with object keys sorted at every level and no insignificant
 * whitespace, so the same value always gives the same bytes (jsonb reorders
 * keys; this does not care).
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}

/** SHA-256 over the canonical serialization of the entry, prev_hash included (format version 1). */
export function auditEntryHash(entry: HashedAuditFields): Buffer {
  const canonical = canonicalJson({
    v: 1,
    id: entry.id.toString(),
    occurredAt: entry.occurredAt.toISOString(),
    actorMemberId: entry.actorMemberId,
    actorLabel: entry.actorLabel,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    requestId: entry.requestId,
    details: entry.details,
    prevHash: Buffer.from(entry.prevHash).toString('hex'),
  });
  return createHash('sha256').update(canonical, 'utf8').digest();
}
