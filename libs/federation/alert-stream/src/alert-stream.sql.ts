import { statement } from '@app/database';

/** One stored alert event (alert_events), as a resumed subscription replays it. */
export interface StoredAlertEvent {
  seq: string;
  alertId: string;
  type: string;
  version: number;
  occurredAt: Date;
}

/** Up to $3 of member $1's events after seq $2, oldest first. */
export const eventsAfter = statement<[memberId: string, seq: string, limit: number], StoredAlertEvent>(
  'alert-stream.eventsAfter',
  `SELECT seq::text AS seq, alert_id AS "alertId", type, version, occurred_at AS "occurredAt"
     FROM alert_events WHERE member_id = $1 AND seq > $2::bigint ORDER BY alert_events.seq LIMIT $3`,
);

/** Whether member $1's event $2 is still kept. */
export const eventKept = statement<[memberId: string, seq: string], { found: boolean }>(
  'alert-stream.eventKept',
  `SELECT EXISTS (SELECT 1 FROM alert_events WHERE member_id = $1 AND seq = $2::bigint) AS found`,
);

/** Member $1's latest kept event number, 0 when none is kept. */
export const lastEvent = statement<[memberId: string], { seq: string }>(
  'alert-stream.lastEvent',
  `SELECT COALESCE(max(seq), 0)::text AS seq FROM alert_events WHERE member_id = $1`,
);
