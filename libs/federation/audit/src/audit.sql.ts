import type { JsonValue } from '@app/common';
import { statement } from '@app/database';

/** An audit entry with every column as the database renders it, for recomputing its hash. */
export interface RawAuditRow {
  id: bigint;
  occurred_at: Date;
  occurred_at_us: string;
  actor_member_id: string | null;
  actor_label: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  details: JsonValue;
  details_text: string;
  prev_hash: Uint8Array;
  hash: Uint8Array;
  hash_version: number;
}

/**
 * Up to $2 entries after id $1, in id order: the timestamp also in
 * microseconds (a JS Date keeps milliseconds) and details as jsonb's own text.
 */
export const auditEntriesAfter = statement<[afterId: bigint, limit: number], RawAuditRow>(
  'audit.entriesAfter',
  `SELECT id, occurred_at, ((extract(epoch FROM occurred_at) * 1000000)::bigint)::text AS occurred_at_us,
          actor_member_id::text AS actor_member_id, actor_label, action, target_type, target_id, request_id,
          details, details::text AS details_text, prev_hash, hash, hash_version::int AS hash_version
     FROM audit_events WHERE id > $1 ORDER BY id ASC LIMIT $2`,
);

/** Appends through audit_append() ($1 actor member, $2 actor label, $3 action, $4 target type, $5 target id, $6 request id, $7 details). */
export const auditAppend = statement<
  [
    actorMemberId: string | null,
    actorLabel: string,
    action: string,
    targetType: string | null,
    targetId: string | null,
    requestId: string | null,
    details: string,
  ],
  { id: bigint }
>('audit.append', `SELECT audit_append($1::uuid, $2, $3, $4, $5, $6, $7::jsonb) AS id`);
