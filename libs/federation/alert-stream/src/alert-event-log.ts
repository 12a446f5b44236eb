import { pgRows, type SqlClient } from '@app/database';
import { eventKept, eventsAfter, lastEvent, type StoredAlertEvent } from './alert-stream.sql.js';

export type { StoredAlertEvent };

/** Events read per round trip while catching up. */
export const EVENT_PAGE = 200;

/**
 * The statements of the member's alert event log. Each runs inside
 * `sqlAsMember(memberId, ...)`: row-level security shows the member its own
 * events only, under the member filter each statement has too.
 */
export const alertEventLog = {
  /** Up to `limit` of the member's events after `seq`, oldest first. */
  async after(db: SqlClient, memberId: string, seq: bigint, limit = EVENT_PAGE): Promise<StoredAlertEvent[]> {
    return pgRows(db, eventsAfter, [memberId, seq.toString(), limit]);
  },
  /** Whether the member's event `seq` is still kept. */
  async has(db: SqlClient, memberId: string, seq: bigint): Promise<boolean> {
    return (await pgRows(db, eventKept, [memberId, seq.toString()]))[0].found;
  },
  /** The member's latest kept event number, 0 when none is kept. */
  async last(db: SqlClient, memberId: string): Promise<bigint> {
    return BigInt((await pgRows(db, lastEvent, [memberId]))[0].seq);
  },
};
