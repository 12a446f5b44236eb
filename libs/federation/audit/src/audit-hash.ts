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

/** A format-2 entry as text, exactly as PostgreSQL renders each column (see audit_entry_hash_v2). */
export interface HashedAuditFieldsV2 {
  id: string;
  /** Microseconds since the epoch: the column's precision. */
  occurredAtUs: string;
  actorMemberId: string | null;
  actorLabel: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  /** details::text (jsonb's own normalized rendering). */
  detailsText: string;
  prevHash: Uint8Array;
}

function field(value: string | null): string {
  return value === null ? 'N;' : `S${Buffer.byteLength(value, 'utf8')}:${value};`;
}

/**
 * Format 2, computed by the database's audit_append() and recomputed here
 * independently: SHA-256 over length-prefixed fields, the timestamp in
 * microseconds, so moving occurred_at by 1 µs changes the hash.
 */
export function auditEntryHashV2(entry: HashedAuditFieldsV2): Buffer {
  const message =
    'sigfed-audit-v2;' +
    field(entry.id) +
    field(entry.occurredAtUs) +
    field(entry.actorMemberId) +
    field(entry.actorLabel) +
    field(entry.action) +
    field(entry.targetType) +
    field(entry.targetId) +
    field(entry.requestId) +
    field(entry.detailsText) +
    field(Buffer.from(entry.prevHash).toString('hex'));
  return createHash('sha256').update(message, 'utf8').digest();
}
