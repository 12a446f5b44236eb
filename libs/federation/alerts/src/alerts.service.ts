import { Injectable } from '@nestjs/common';
import { decodeCursor, encodeCursor, InputValidationError, pageSize, toConnection, type ConnectionShape } from '@app/common';
import { pgQuery, pgRows, PrismaService, type SqlClient, type Verdict } from '@app/database';
import { AlertError, AlertErrorCode } from './alert.error.js';
import {
  alertById,
  alertsByIds,
  alertsPage,
  alertsPageAfter,
  alertsPageByPriority,
  alertsPageByPriorityAfter,
  alertsPageOfType,
  alertsPageOfTypeAfter,
  alertsPageOfTypeByPriority,
  alertsPageOfTypeByPriorityAfter,
  announceVerdict,
  recordVerdict,
  verdictEvent,
  type AlertRow,
} from './alerts.sql.js';
import { AlertOrder, type AcknowledgeAlertArgs, type AlertsArgs } from './dto/alerts.args.js';
import type { Alert } from './models/alert.model.js';

const LIST = 'alerts';
const LIST_BY_PRIORITY = 'alerts-priority';
const INT32 = 2 ** 31;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An alert of a row, field by field: the rest-and-spread form copied each
 * row through a dictionary-mode object, a visible part of a page's CPU.
 */
function toAlert(r: AlertRow): Alert {
  return {
    id: r.id,
    status: r.status,
    version: r.version,
    type: r.type,
    keyEpoch: r.keyEpoch,
    token: r.token,
    externalRef: r.externalRef,
    otherHolderCount: r.otherHolderCount,
    firstSeenAt: r.firstSeenAt,
    lastSeenAt: r.lastSeenAt,
    disclosedHolders: r.disclosedHolders,
    verdictCounts: { confirmedAbuse: r.confirmedAbuse, falsePositive: r.falsePositive, underReview: r.underReview },
    verdict: r.verdict,
    verdictNote: r.verdictNote,
    acknowledgedAt: r.acknowledgedAt,
    matchKind: r.matchKind,
    similarity: r.similarity,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    closedAt: r.closedAt,
    closeReason: r.closeReason,
    lastObservedOn: r.lastObservedOn,
    priority: r.priority,
  };
}

/** Reads and acknowledges a member's alerts. */
@Injectable()
export class AlertsService {
  constructor(private readonly prisma: PrismaService) {}

  /** The member's alerts, newest first or by priority, as a Relay connection. */
  async list(memberId: string, args: AlertsArgs): Promise<ConnectionShape<Alert>> {
    const order = args.orderBy ?? AlertOrder.NEWEST;
    const first = pageSize(args.first);
    const f = args.filter;
    const filters = [memberId, f?.status ?? null, f?.type ?? null, f?.since ?? null, first + 1] as const;
    // A type filter reads the member's alerts of that type only (their own index range).
    const typed = filters[2] !== null;
    const badCursor = () =>
      new InputValidationError([{ field: 'after', rule: 'cursor', message: 'after must be a cursor that this list returned' }]);
    if (order === AlertOrder.PRIORITY) {
      let after: [rank: number, id: string] | undefined;
      if (args.after) {
        // The rank, not the shown priority: the rank does not move with the day, so a page read tomorrow continues.
        const [rank, id] = decodeCursor(LIST_BY_PRIORITY, args.after, ['number', 'string'] as const);
        if (!UUID.test(id) || !Number.isInteger(rank) || Math.abs(rank) >= INT32) throw badCursor();
        after = [rank, id];
      }
      const rows = await this.prisma.sqlAsMember(
        memberId,
        (db) =>
          after
            ? pgRows(db, typed ? alertsPageOfTypeByPriorityAfter : alertsPageByPriorityAfter, [...filters, ...after])
            : pgRows(db, typed ? alertsPageOfTypeByPriority : alertsPageByPriority, [...filters]),
        { readOnly: true, indexOrder: true },
      );
      return toConnection(rows, first, (r) => encodeCursor(LIST_BY_PRIORITY, [r.priorityRank, r.id]), toAlert);
    }
    let after: string | undefined;
    if (args.after) {
      [after] = decodeCursor(LIST, args.after, ['string'] as const);
      if (!UUID.test(after)) throw badCursor();
    }
    const rows = await this.prisma.sqlAsMember(
      memberId,
      (db) =>
        after === undefined
          ? pgRows(db, typed ? alertsPageOfType : alertsPage, [...filters])
          : pgRows(db, typed ? alertsPageOfTypeAfter : alertsPageAfter, [...filters, after]),
      { readOnly: true, indexOrder: true },
    );
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
    return (await pgRows(db, alertsByIds, [memberId, valid])).map(toAlert);
  }

  /**
   * Records the member's verdict and note on its own alert. The other holders
   * see verdict counts, so the same transaction asks the worker to give their
   * alerts a new version and an `alert.updated` (see CorrelationService.announceVerdict).
   */
  async acknowledge(memberId: string, args: AcknowledgeAlertArgs): Promise<Alert> {
    if (!UUID.test(args.id)) throw this.notFound();
    return this.prisma.sqlAsMember(memberId, async (db) => {
      const { rowCount } = await pgQuery(db, recordVerdict, [memberId, args.id, args.verdict as Verdict, args.note ?? null]);
      if (!rowCount) throw this.notFound();
      await pgQuery(db, announceVerdict, verdictEvent.values({ alertId: args.id }));
      return this.one(db, memberId, args.id);
    });
  }

  private async one(db: SqlClient, memberId: string, id: string): Promise<Alert> {
    const rows = await pgRows(db, alertById, [memberId, id]);
    if (rows.length === 0) throw this.notFound();
    return toAlert(rows[0]);
  }

  private notFound(): AlertError {
    return new AlertError(AlertErrorCode.NotFound, 'alert not found');
  }
}
