import { prepared, type SqlClient } from '@app/database';

/** One stored alert event (alert_events), as a resumed subscription replays it. */
export interface StoredAlertEvent {
  seq: string;
  alertId: string;
  type: string;
  version: number;
  occurredAt: Date;
}

/** Events read per round trip while catching up. */
export const EVENT_PAGE = 200;

const AFTER = `
  SELECT seq::text AS seq, alert_id AS "alertId", type, version, occurred_at AS "occurredAt"
    FROM alert_events WHERE member_id = $1 AND seq > $2::bigint ORDER BY alert_events.seq LIMIT $3`;
const EXISTS = `SELECT EXISTS (SELECT 1 FROM alert_events WHERE member_id = $1 AND seq = $2::bigint) AS found`;
const LAST = `SELECT COALESCE(max(seq), 0)::text AS seq FROM alert_events WHERE member_id = $1`;

/**
 * The statements of the member's alert event log. Each runs inside
 * `sqlAsMember(memberId, ...)`: row-level security shows the member its own
 * events only, under the member filter each statement has too.
 */
export const alertEventLog = {
  /** Up to `limit` of the member's events after `seq`, oldest first. */
  async after(db: SqlClient, memberId: string, seq: bigint, limit = EVENT_PAGE): Promise<StoredAlertEvent[]> {
    return (await db.query<StoredAlertEvent>(prepared(AFTER, [memberId, seq.toString(), limit]))).rows;
  },
  /** Whether the member's event `seq` is still kept. */
  async has(db: SqlClient, memberId: string, seq: bigint): Promise<boolean> {
    return (await db.query<{ found: boolean }>(prepared(EXISTS, [memberId, seq.toString()]))).rows[0].found;
  },
  /** The member's latest kept event number, 0 when none is kept. */
  async last(db: SqlClient, memberId: string): Promise<bigint> {
    return BigInt((await db.query<{ seq: string }>(prepared(LAST, [memberId]))).rows[0].seq);
  },
};
