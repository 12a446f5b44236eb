import { Injectable } from '@nestjs/common';
import { decodeCursor, encodeCursor, InputValidationError, pageSize, toConnection, type ConnectionShape } from '@app/common';
import { prepared, PrismaService, type SqlClient, type Verdict } from '@app/database';
import { outboxEventSql } from '@app/outbox';
import { JobName } from '@app/queue';
import { AlertError, AlertErrorCode } from './alert.exception.js';
import type { AcknowledgeAlertArgs, AlertsArgs } from './dto/alerts.args.js';
import type { Alert } from './models/alert.model.js';

const LIST = 'alerts';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type AlertRow = Omit<Alert, 'verdictCounts'> & {
  confirmedAbuse: number;
  falsePositive: number;
  underReview: number;
};

/**
 * The columns of an alert and its match that `view` reads. An EXACT alert is
 * on a match (`m`); a SIMILAR one on a similar match (`sm`), whose token is
 * the member's own signature digest (SHA-256 over its band tokens) and whose
 * type is PROMPT_TEMPLATE: never a band token, let alone another member's.
 */
const ALERT_ROW = `
  a.id, a.member_id, a.match_id, a.status, a.version, a.other_holders, a.verdict, a.verdict_note, a.acknowledged_at,
  a.created_at, a.updated_at, a.closed_at, a.match_kind, a.similarity,
  COALESCE(m.type, 'PROMPT_TEMPLATE'::"IndicatorType") AS type, COALESCE(m.key_epoch, sm.key_epoch) AS key_epoch,
  COALESCE(m.token, sm.digest) AS token, COALESCE(m.first_seen_at, sm.first_seen_at) AS first_seen_at,
  COALESCE(m.last_seen_at, sm.last_seen_at) AS last_seen_at`;

/** The alerts with their exact or similar match. */
const ALERTS_JOINED = `alerts a LEFT JOIN matches m ON m.id = a.match_id LEFT JOIN similar_matches sm ON sm.id = a.similar_match_id`;

/**
 * `column` truncated to the hour, UTC: a time set by other members' activity
 * (their submissions, retractions, verdicts), which another member may learn
 * only that coarsely.
 */
const hourOf = (column: string) => `date_trunc('hour', ${column}, 'UTC')`;

/**
 * An alert as its member may see it, and nothing more: the member's own token
 * and reference; about other holders only counts, verdict counts, and the
 * names of those who chose to disclose them. Every query is scoped by member
 * id in SQL, and runs in the member's transaction (`sqlAsMember`), so
 * row-level security hides every other member's rows too: another member's
 * alert is indistinguishable from none.
 *
 * `rows` selects the alerts to show (ALERT_ROW, already limited to the page);
 * the per-alert lookups below run on those rows only. Joined before the
 * LIMIT, they ran for every alert the member has, and the page cost grew
 * with the member's history. What is read from indicators by token (the
 * member's own reference, and the facts about other holders, which cross
 * members) comes from `alert_view_facts`, one call per page: it returns only
 * those, for the calling member's own alerts, and, run as the tables' owner,
 * looks indicators up by their key, which row-level security would keep the
 * API's role from using (see the row_level_security migration).
 */
function view(rows: string): string {
  return `
  WITH page AS (${rows})
  SELECT a.id, a.status, a.version, a.type, a.key_epoch AS "keyEpoch", encode(a.token, 'hex') AS token,
         COALESCE(f.external_ref, sf.external_ref) AS "externalRef", a.other_holders AS "otherHolderCount",
         a.match_kind AS "matchKind", a.similarity,
         ${hourOf('a.first_seen_at')} AS "firstSeenAt", ${hourOf('a.last_seen_at')} AS "lastSeenAt",
         COALESCE(f.disclosed_holders, sf.disclosed_holders, '{}') AS "disclosedHolders",
         COALESCE(f.confirmed_abuse, sf.confirmed_abuse, 0) AS "confirmedAbuse",
         COALESCE(f.false_positive, sf.false_positive, 0) AS "falsePositive",
         COALESCE(f.under_review, sf.under_review, 0) AS "underReview",
         a.verdict, a.verdict_note AS "verdictNote", a.acknowledged_at AS "acknowledgedAt",
         ${hourOf('a.created_at')} AS "createdAt", ${hourOf('a.updated_at')} AS "updatedAt", ${hourOf('a.closed_at')} AS "closedAt"
    FROM page a
    LEFT JOIN alert_view_facts(ARRAY(SELECT id FROM page WHERE match_kind = 'EXACT')) f ON f.alert_id = a.id
    LEFT JOIN similar_alert_view_facts(ARRAY(SELECT id FROM page WHERE match_kind = 'SIMILAR')) sf ON sf.alert_id = a.id
   ORDER BY a.created_at DESC, a.id DESC`;
}

/** One alert of the member, by id ($1 member, $2 alert). */
const ONE = view(`SELECT ${ALERT_ROW} FROM ${ALERTS_JOINED} WHERE a.id = $2::uuid AND a.member_id = $1::uuid`);

/** Several alerts of the member, by id ($1 member, $2 alert ids): one call of alert_view_facts for all of them. */
const MANY = view(`SELECT ${ALERT_ROW} FROM ${ALERTS_JOINED} WHERE a.id = ANY($2::uuid[]) AND a.member_id = $1::uuid`);

const VERDICT_EVENT = outboxEventSql('$1', '$2');
/** Asks the worker to tell the match's other holders (AlertVerdictChanged); it announces nothing when the verdict is the one last announced. */
const ANNOUNCE_VERDICT = `WITH event AS (${VERDICT_EVENT.insert}) SELECT event.id FROM event, ${VERDICT_EVENT.notify}`;

function toAlert(row: AlertRow): Alert {
  const { confirmedAbuse, falsePositive, underReview, ...alert } = row;
  return { ...alert, verdictCounts: { confirmedAbuse, falsePositive, underReview } };
}

/** Reads and acknowledges a member's alerts. */
@Injectable()
export class AlertsService {
  constructor(private readonly prisma: PrismaService) {}

  /** The member's alerts, newest first, as a Relay connection. */
  async list(memberId: string, args: AlertsArgs): Promise<ConnectionShape<Alert>> {
    const first = pageSize(args.first);
    const params: unknown[] = [memberId];
    const param = (value: unknown) => `$${params.push(value)}`;
    const conditions = ['a.member_id = $1::uuid'];
    const f = args.filter;
    if (f?.status) conditions.push(`a.status = ${param(f.status)}::"AlertStatus"`);
    if (f?.type) conditions.push(`COALESCE(m.type, 'PROMPT_TEMPLATE'::"IndicatorType") = ${param(f.type)}::"IndicatorType"`);
    // At the hour, as updatedAt is shown: a finer `since` would find the exact time by bisection.
    if (f?.since) conditions.push(`a.updated_at >= ${hourOf(`${param(f.since)}::timestamptz`)}`);
    if (args.after) {
      // The cursor names the last alert only; its exact created_at (another member's doing) stays here.
      const [id] = decodeCursor(LIST, args.after, ['string'] as const);
      if (!UUID.test(id)) {
        throw new InputValidationError([{ field: 'after', rule: 'cursor', message: 'after must be a cursor that this list returned' }]);
      }
      conditions.push(
        `(a.created_at, a.id) < (SELECT c.created_at, c.id FROM alerts c WHERE c.id = ${param(id)}::uuid AND c.member_id = $1::uuid)`,
      );
    }
    const sql = view(`
      SELECT ${ALERT_ROW} FROM ${ALERTS_JOINED}
       WHERE ${conditions.join(' AND ')}
       ORDER BY a.created_at DESC, a.id DESC
       LIMIT ${param(first + 1)}`);
    const rows = await this.prisma.sqlAsMember(memberId, async (db) => (await db.query<AlertRow>(prepared(sql, params))).rows, {
      readOnly: true,
    });
    return toConnection(rows, first, (r) => encodeCursor(LIST, [r.id]), toAlert);
  }

  /** One of the member's alerts; NOT_FOUND for any id that is not the member's own. */
  async get(memberId: string, id: string): Promise<Alert> {
    if (!UUID.test(id)) throw this.notFound();
    return this.prisma.sqlAsMember(memberId, (db) => this.one(db, memberId, id), { readOnly: true });
  }

  /** Several of the member's alerts in one query (webhook fan-out); ids that are not the member's own are left out. */
  async getMany(memberId: string, ids: readonly string[]): Promise<Alert[]> {
    if (!ids.some((id) => UUID.test(id))) return [];
    return this.prisma.sqlAsMember(memberId, (db) => this.readMany(db, memberId, ids), { readOnly: true });
  }

  /**
   * `getMany` inside a transaction the caller already scoped to the member
   * (`sqlAsMember`), for readers that write in the same transaction (TAXII).
   */
  async readMany(db: SqlClient, memberId: string, ids: readonly string[]): Promise<Alert[]> {
    const valid = ids.filter((id) => UUID.test(id));
    if (valid.length === 0) return [];
    return (await db.query<AlertRow>(prepared(MANY, [memberId, valid]))).rows.map(toAlert);
  }

  /**
   * Records the member's verdict and note on its own alert. The other holders
   * see verdict counts, so the same transaction asks the worker to give their
   * alerts a new version and an `alert.updated` (see CorrelationService.announceVerdict).
   */
  async acknowledge(memberId: string, args: AcknowledgeAlertArgs): Promise<Alert> {
    if (!UUID.test(args.id)) throw this.notFound();
    return this.prisma.sqlAsMember(memberId, async (db) => {
      const { rowCount } = await db.query(
        `UPDATE alerts SET verdict = $3::"Verdict", verdict_note = $4, acknowledged_at = now()
          WHERE id = $2::uuid AND member_id = $1::uuid`,
        [memberId, args.id, args.verdict as Verdict, args.note ?? null],
      );
      if (!rowCount) throw this.notFound();
      await db.query(ANNOUNCE_VERDICT, [JobName.events.AlertVerdictChanged, JSON.stringify({ alertId: args.id })]);
      return this.one(db, memberId, args.id);
    });
  }

  private async one(db: SqlClient, memberId: string, id: string): Promise<Alert> {
    const { rows } = await db.query<AlertRow>(prepared(ONE, [memberId, id]));
    if (rows.length === 0) throw this.notFound();
    return toAlert(rows[0]);
  }

  private notFound(): AlertError {
    return new AlertError(AlertErrorCode.NotFound, 'alert not found');
  }
}
