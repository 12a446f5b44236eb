import type pg from 'pg';
import { stableEventId } from '@app/webhooks';
import type { ReceiverPath } from './receivers.js';

/** What the submitting clients know they got acknowledged, per member id. */
export interface Acknowledged {
  /** Idempotency keys of the batches the API answered with a submission id. */
  keys: Set<string>;
  /** Submission ids the API answered with. */
  submissionIds: Set<string>;
  /** Sum of `accepted` over those answers. */
  accepted: number;
  /** Sum of `retracted` over the member's acknowledged retractions. */
  retracted?: number;
}

/** What `checkInvariants` compares the database with. */
export interface Expectations {
  /** Per member id: what its client was told. Members not listed are not checked on this point. */
  acknowledged?: Map<string, Acknowledged>;
  /** Per endpoint id: what its receiver saw (signatures verified there). */
  receivers?: Map<string, ReceiverPath>;
  /** Attempts a delivery may make (WEBHOOK_RETRY_SCHEDULE's length). */
  attemptsAllowed: number;
  /** k (MATCH_MIN_MEMBERS). */
  minMembers?: number;
}

/** The figures and the broken invariants, each with up to a few examples. */
export interface InvariantReport {
  submissions: number;
  indicators: number;
  alerts: number;
  openAlerts: number;
  alertEvents: number;
  deliveries: number;
  succeeded: number;
  /** PENDING with attempts left: not lost, still on its way. */
  pending: number;
  attempts: number;
  /** Attempts after the first of each delivery. */
  retries: number;
  /** (alert event, endpoint) pairs neither delivered (acknowledged by the receiver) nor pending with attempts left. */
  lost: number;
  /** Requests a receiver got for a webhook-id it had already acknowledged: allowed (at least once), de-duplicable. */
  redelivered: number;
  unprocessedOutbox: number;
  /** Each broken invariant: name -> count and examples. */
  problems: Record<string, { count: number; examples: string[] }>;
}

type AlertEvent = { alertId: string; memberId: string; type: string; version: number };

/**
 * Checks what a fault or a soak must leave behind, from the database and
 * from the clients' and receivers' own records:
 *
 * - every acknowledged submission is stored once (one row per idempotency
 *   key, one indicator row per accepted and not retracted item), and
 *   nothing else is;
 * - every token held by at least k active members has exactly one OPEN
 *   alert per holder with the right count, and no other alert is OPEN;
 * - every alert version was announced by exactly one outbox event;
 * - every announced event reached every subscribed endpoint of its member:
 *   delivered (the receiver acknowledged that webhook-id) or still PENDING
 *   with attempts left. Anything else is *lost*.
 */
/** indicators with the names the checks speak: (type, key_epoch, token) and member_id, from the key space and member number. */
const INDICATORS = `(SELECT k.type, k.key_epoch, i.token, m.id AS member_id, i.expires_at
                      FROM indicators i JOIN key_spaces k ON k.id = i.key_space JOIN members m ON m.member_no = i.member_no)`;

export async function checkInvariants(db: pg.Client, expect: Expectations): Promise<InvariantReport> {
  const problems: InvariantReport['problems'] = {};
  const problem = (name: string, example: string) => {
    const p = (problems[name] ??= { count: 0, examples: [] });
    p.count++;
    if (p.examples.length < 5) p.examples.push(example);
  };
  const k = expect.minMembers ?? 2;
  const one = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => (await db.query<T>(sql, params)).rows;

  // Submissions and indicators against what the clients were told.
  const [{ submissions, indicators }] = await one<{ submissions: number; indicators: number }>(
    `SELECT (SELECT count(*)::int FROM submissions) AS submissions, (SELECT count(*)::int FROM indicators) AS indicators`,
  );
  if (expect.acknowledged) {
    const rows = await one<{ member: string; subs: number; keys: string[]; ids: string[] }>(
      `SELECT member_id AS member, count(*)::int AS subs, array_agg(idempotency_key) AS keys, array_agg(id::text) AS ids
         FROM submissions WHERE member_id = ANY($1::uuid[]) GROUP BY member_id`,
      [[...expect.acknowledged.keys()]],
    );
    const held = new Map(
      (
        await one<{ member: string; n: number }>(
          `SELECT member_id AS member, count(*)::int AS n FROM ${INDICATORS} ind WHERE member_id = ANY($1::uuid[]) GROUP BY member_id`,
          [[...expect.acknowledged.keys()]],
        )
      ).map((r) => [r.member, r.n]),
    );
    for (const [member, ack] of expect.acknowledged) {
      const row = rows.find((r) => r.member === member);
      const keys = new Set(row?.keys ?? []);
      const ids = new Set(row?.ids ?? []);
      for (const key of ack.keys) if (!keys.has(key)) problem('acknowledged submission not stored', `${member} ${key}`);
      for (const id of ack.submissionIds) if (!ids.has(id)) problem('acknowledged submission id not stored', `${member} ${id}`);
      for (const key of keys) if (!ack.keys.has(key)) problem('submission stored that no client was told about', `${member} ${key}`);
      const stored = held.get(member) ?? 0;
      if (stored !== ack.accepted - (ack.retracted ?? 0)) {
        problem(
          'indicator rows differ from accepted items',
          `${member}: ${stored} rows, ${ack.accepted} accepted, ${ack.retracted ?? 0} retracted`,
        );
      }
    }
  }

  // Alerts against the holders of each token, recomputed from scratch.
  const missing = await one<{ member: string; token: string }>(
    `WITH held AS (
       SELECT i.type, i.key_epoch, i.token FROM ${INDICATORS} i JOIN members mb ON mb.id = i.member_id AND mb.status = 'ACTIVE'
        WHERE i.expires_at > now() GROUP BY 1, 2, 3 HAVING count(*) >= $1)
     SELECT i.member_id AS member, encode(i.token, 'hex') AS token
       FROM held h
       JOIN ${INDICATORS} i ON (i.type, i.key_epoch, i.token) = (h.type, h.key_epoch, h.token) AND i.expires_at > now()
       JOIN members mb ON mb.id = i.member_id AND mb.status = 'ACTIVE'
       LEFT JOIN matches m ON (m.type, m.key_epoch, m.token) = (h.type, h.key_epoch, h.token)
       LEFT JOIN alerts a ON a.match_id = m.id AND a.member_id = i.member_id AND a.status = 'OPEN'
      WHERE a.id IS NULL AND m.status IS DISTINCT FROM 'COMMON'
        AND NOT EXISTS (SELECT 1 FROM suppressed_tokens s WHERE (s.type, s.key_epoch, s.token) = (h.type, h.key_epoch, h.token))`,
    [k],
  );
  for (const r of missing) problem('holder of a match without an OPEN alert', `${r.member} ${r.token.slice(0, 12)}`);
  const wrong = await one<{ id: string; others: number; holders: number; holds: boolean }>(
    `SELECT a.id, a.other_holders AS others,
            (SELECT count(*)::int FROM ${INDICATORS} i JOIN members mb ON mb.id = i.member_id AND mb.status = 'ACTIVE'
              WHERE (i.type, i.key_epoch, i.token) = (m.type, m.key_epoch, m.token) AND i.expires_at > now()) AS holders,
            EXISTS (SELECT 1 FROM ${INDICATORS} i WHERE (i.type, i.key_epoch, i.token) = (m.type, m.key_epoch, m.token)
                       AND i.member_id = a.member_id AND i.expires_at > now()) AS holds
       FROM alerts a JOIN matches m ON m.id = a.match_id
      WHERE a.status = 'OPEN'`,
  );
  for (const r of wrong) {
    if (!r.holds || r.holders < k) problem('OPEN alert without a match behind it', r.id);
    else if (r.others !== r.holders - 1)
      problem('OPEN alert with a wrong holder count', `${r.id}: ${r.others} others, ${r.holders} holders`);
  }
  const [{ alerts, openAlerts }] = await one<{ alerts: number; openAlerts: number }>(
    `SELECT count(*)::int AS alerts, count(*) FILTER (WHERE status = 'OPEN')::int AS "openAlerts" FROM alerts`,
  );

  // Every alert version announced exactly once.
  const outbox = await one<{ created: Date; payload: { events: AlertEvent[] } }>(
    `SELECT created_at AS created, payload FROM outbox_events WHERE topic = 'alerts.changed' ORDER BY id`,
  );
  const [{ unprocessed }] = await one<{ unprocessed: number }>(
    `SELECT count(*)::int AS unprocessed FROM outbox_events WHERE processed_at IS NULL`,
  );
  const announced = new Map<string, number>();
  const events: (AlertEvent & { at: Date })[] = [];
  for (const row of outbox) {
    for (const e of row.payload.events) {
      const key = `${e.alertId}:${e.version}`;
      announced.set(key, (announced.get(key) ?? 0) + 1);
      events.push({ ...e, at: row.created });
    }
  }
  for (const [key, n] of announced) if (n > 1) problem('alert change announced more than once', `${key} x${n}`);
  const versions = await one<{ id: string; version: number }>(`SELECT id, version FROM alerts`);
  for (const a of versions) {
    for (let v = 1; v <= a.version; v++) if (!announced.has(`${a.id}:${v}`)) problem('alert change never announced', `${a.id} v${v}`);
  }

  // Every announced change recorded for resumed subscriptions once, each member's numbers without a gap.
  const recorded = await one<{ member: string; seq: string; alert: string; version: number }>(
    `SELECT member_id AS member, seq::text AS seq, alert_id AS alert, version FROM alert_events ORDER BY alert_events.member_id, alert_events.seq`,
  );
  const recordedKeys = new Set(recorded.map((r) => `${r.alert}:${r.version}`));
  if (recordedKeys.size !== recorded.length) problem('alert change recorded more than once', `${recorded.length - recordedKeys.size} rows`);
  for (const key of announced.keys()) if (!recordedKeys.has(key)) problem('announced alert change missing from alert_events', key);
  for (let i = 1; i < recorded.length; i++) {
    const [before, row] = [recorded[i - 1], recorded[i]];
    if (before.member === row.member && BigInt(row.seq) !== BigInt(before.seq) + 1n)
      problem("gap in a member's alert event numbers", `${row.member} ${before.seq} -> ${row.seq}`);
  }

  // Every announced event to every subscribed endpoint: delivered, or pending with attempts left.
  const endpoints = await one<{ id: string; member: string; types: string[]; created: Date }>(
    `SELECT e.id, e.member_id AS member, e.event_types AS types, e.created_at AS created
       FROM webhook_endpoints e JOIN members m ON m.id = e.member_id
      WHERE e.status = 'ENABLED' AND m.status = 'ACTIVE'`,
  );
  const deliveryRows = await one<{ endpoint: string; event: string; status: string; attempts: number }>(
    `SELECT endpoint_id AS endpoint, event_id AS event, status::text AS status, attempt_count AS attempts FROM webhook_deliveries`,
  );
  const deliveries = new Map(deliveryRows.map((d) => [`${d.endpoint}|${d.event}`, d]));
  const expected = new Set<string>();
  let lost = 0;
  let pending = 0;
  for (const e of events) {
    const eventId = stableEventId(`${e.type}:${e.alertId}:${e.version}`);
    for (const ep of endpoints) {
      if (ep.member !== e.memberId || !(ep.types ?? []).includes(e.type) || ep.created > e.at) continue;
      const key = `${ep.id}|${eventId}`;
      expected.add(key);
      const d = deliveries.get(key);
      const receiver = expect.receivers?.get(ep.id);
      const acknowledged = receiver ? (receiver.byId.get(eventId)?.acknowledged ?? 0) > 0 : d?.status === 'SUCCEEDED';
      if (d?.status === 'PENDING' && d.attempts < expect.attemptsAllowed) {
        pending++;
        continue;
      }
      if (d?.status === 'SUCCEEDED' && acknowledged) continue;
      lost++;
      const why = !d
        ? 'no delivery row'
        : d.status === 'SUCCEEDED'
          ? 'SUCCEEDED but the receiver never acknowledged it'
          : `${d.status} after ${d.attempts} attempts`;
      problem('lost: alert event not delivered', `${e.type} ${e.alertId} v${e.version} -> endpoint ${ep.id}: ${why}`);
    }
  }
  for (const d of deliveryRows) {
    if (!expected.has(`${d.endpoint}|${d.event}`) && endpoints.some((ep) => ep.id === d.endpoint)) {
      problem('delivery for an event that was never announced', `${d.endpoint} ${d.event}`);
    }
  }
  let redelivered = 0;
  for (const [endpointId, receiver] of expect.receivers ?? []) {
    if (receiver.badSignatures) problem('receiver got a request with a bad signature', `${receiver.path}: ${receiver.badSignatures}`);
    for (const [id, seen] of receiver.byId) {
      if (seen.acknowledged > 1) redelivered += seen.acknowledged - 1;
      if (!deliveries.has(`${endpointId}|${id}`))
        problem('receiver got a webhook-id the server has no delivery for', `${receiver.path} ${id}`);
    }
  }

  const [{ attempts, tried }] = await one<{ attempts: number; tried: number }>(
    `SELECT (SELECT count(*)::int FROM webhook_delivery_attempts) AS attempts,
            (SELECT count(*)::int FROM webhook_deliveries WHERE attempt_count > 0) AS tried`,
  );
  return {
    submissions,
    indicators,
    alerts,
    openAlerts,
    alertEvents: events.length,
    deliveries: deliveryRows.length,
    succeeded: deliveryRows.filter((d) => d.status === 'SUCCEEDED').length,
    pending,
    attempts,
    retries: attempts - tried,
    lost,
    redelivered,
    unprocessedOutbox: unprocessed,
    problems,
  };
}

/** The broken invariants in a few lines, for an assertion message; empty when none. */
export function describeProblems(report: InvariantReport): string {
  return Object.entries(report.problems)
    .map(([name, p]) => `${name}: ${p.count} (e.g. ${p.examples.join('; ')})`)
    .join('\n');
}
