import { Injectable } from '@nestjs/common';
import {
  decodeCursor,
  encodeCursor,
  InputValidationError,
  pageSize,
  toConnection,
  type ConnectionShape,
} from '@app/common';
import { Prisma, PrismaService, type Verdict } from '@app/database';
import { AlertError, AlertErrorCode } from './alert.exception.js';
import type { AcknowledgeAlertArgs, AlertsArgs } from './dto/alerts.args.js';
import type { Alert } from './models/alert.model.js';

const LIST = 'alerts';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type AlertRow = Omit<Alert, 'verdictCounts'> & {
  createdKey: string;
  confirmedAbuse: number;
  falsePositive: number;
  underReview: number;
};

/**
 * An alert as its member may see it, and nothing more: the member's own token
 * and reference; about other holders only counts, verdict counts, and the
 * names of those who chose to disclose them. Every query is scoped by member
 * id in SQL, so another member's alert is indistinguishable from none.
 */
const SELECT_VIEW = Prisma.sql`
  SELECT a.id, a.status, a.version, m.type, m.key_epoch AS "keyEpoch", encode(m.token, 'hex') AS token,
         own.external_ref AS "externalRef", a.other_holders AS "otherHolderCount",
         m.first_seen_at AS "firstSeenAt", m.last_seen_at AS "lastSeenAt",
         COALESCE((SELECT array_agg(mb.name ORDER BY mb.name)
                     FROM indicators oi JOIN members mb ON mb.id = oi.member_id
                    WHERE oi.type = m.type AND oi.key_epoch = m.key_epoch AND oi.token = m.token
                      AND oi.member_id <> a.member_id AND oi.disclose_identity AND oi.expires_at > now()
                      AND mb.status = 'ACTIVE'), '{}') AS "disclosedHolders",
         v.confirmed_abuse AS "confirmedAbuse", v.false_positive AS "falsePositive", v.under_review AS "underReview",
         a.verdict, a.verdict_note AS "verdictNote", a.acknowledged_at AS "acknowledgedAt",
         a.created_at AS "createdAt", a.updated_at AS "updatedAt", a.closed_at AS "closedAt",
         a.created_at::text AS "createdKey"
    FROM alerts a
    JOIN matches m ON m.id = a.match_id
    LEFT JOIN indicators own
      ON own.type = m.type AND own.key_epoch = m.key_epoch AND own.token = m.token AND own.member_id = a.member_id
    CROSS JOIN LATERAL (
      SELECT count(*) FILTER (WHERE o.verdict = 'CONFIRMED_ABUSE')::int AS confirmed_abuse,
             count(*) FILTER (WHERE o.verdict = 'FALSE_POSITIVE')::int AS false_positive,
             count(*) FILTER (WHERE o.verdict = 'UNDER_REVIEW')::int AS under_review
        FROM alerts o WHERE o.match_id = a.match_id AND o.member_id <> a.member_id
    ) v`;

function toAlert(row: AlertRow): Alert {
  const { createdKey: _key, confirmedAbuse, falsePositive, underReview, ...alert } = row;
  return { ...alert, verdictCounts: { confirmedAbuse, falsePositive, underReview } };
}

/** Reads and acknowledges a member's alerts. */
@Injectable()
export class AlertsService {
  constructor(private readonly prisma: PrismaService) {}

  /** The member's alerts, newest first, as a Relay connection. */
  async list(memberId: string, args: AlertsArgs): Promise<ConnectionShape<Alert>> {
    const first = pageSize(args.first);
    const conditions = [Prisma.sql`a.member_id = ${memberId}::uuid`];
    const f = args.filter;
    if (f?.status) conditions.push(Prisma.sql`a.status = ${f.status}::"AlertStatus"`);
    if (f?.type) conditions.push(Prisma.sql`m.type = ${f.type}::"IndicatorType"`);
    if (f?.since) conditions.push(Prisma.sql`a.updated_at >= ${f.since}`);
    if (args.after) {
      const [created, id] = decodeCursor(LIST, args.after, ['string', 'string'] as const);
      if (!UUID.test(id) || Number.isNaN(Date.parse(created))) {
        throw new InputValidationError([{ field: 'after', rule: 'cursor', message: 'after must be a cursor that this list returned' }]);
      }
      conditions.push(Prisma.sql`(a.created_at, a.id) < (${created}::timestamptz, ${id}::uuid)`);
    }
    const rows = await this.prisma.$queryRaw<AlertRow[]>`
      ${SELECT_VIEW}
       WHERE ${Prisma.join(conditions, ' AND ')}
       ORDER BY a.created_at DESC, a.id DESC
       LIMIT ${first + 1}`;
    return toConnection(rows, first, (r) => encodeCursor(LIST, [r.createdKey, r.id]), toAlert);
  }

  /** One of the member's alerts; NOT_FOUND for any id that is not the member's own. */
  async get(memberId: string, id: string): Promise<Alert> {
    if (!UUID.test(id)) throw this.notFound();
    const rows = await this.prisma.$queryRaw<AlertRow[]>`
      ${SELECT_VIEW} WHERE a.id = ${id}::uuid AND a.member_id = ${memberId}::uuid`;
    if (rows.length === 0) throw this.notFound();
    return toAlert(rows[0]);
  }

  /** Records the member's verdict and note on its own alert. */
  async acknowledge(memberId: string, args: AcknowledgeAlertArgs): Promise<Alert> {
    if (!UUID.test(args.id)) throw this.notFound();
    const updated = await this.prisma.$executeRaw`
      UPDATE alerts SET verdict = ${args.verdict as Verdict}::"Verdict", verdict_note = ${args.note ?? null},
             acknowledged_at = now()
       WHERE id = ${args.id}::uuid AND member_id = ${memberId}::uuid`;
    if (updated === 0) throw this.notFound();
    return this.get(memberId, args.id);
  }

  private notFound(): AlertError {
    return new AlertError(AlertErrorCode.NotFound, 'alert not found');
  }
}
