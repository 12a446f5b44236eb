import { Injectable } from '@nestjs/common';
import { PrismaService, type SqlClient } from '@app/database';
import { AlertsCollection, type CollectionSource, type SourcedObject } from './alerts-collection.js';
import type { StixObject } from './stix/alert-objects.js';
import { TaxiiError } from './taxii.error.js';
import type { TaxiiQuery } from './taxii-query.js';

/** One stored object version as the endpoints list it. */
export interface FeedEntry {
  id: string;
  /** The version (modified; for objects without one, when it was added), STIX timestamp. */
  version: string;
  /** When this version was added to the member's collection, STIX timestamp, unique per collection. */
  dateAdded: string;
  object: StixObject;
}

/** A page in date_added order; `more` when objects after it match too. */
export interface FeedPage {
  entries: FeedEntry[];
  more: boolean;
}

/** New versions taken into the collection per statement, so a first poll of a long history stays bounded per query. */
const SYNC_BATCH = 500;

/**
 * The objects of one member's collection from `from` on: `$1` member, `$2`
 * collection, then the filters; ordered by date_added, which is unique per
 * collection, so "after the last one I saw" is a complete cursor.
 */
function pageSql(q: TaxiiQuery, objectId: string | undefined, params: unknown[]): string {
  const param = (value: unknown) => `$${params.push(value)}`;
  const where = ['member_id = $1::uuid', 'collection = $2'];
  if (!q.specVersionMatches) where.push('false');
  if (q.addedAfter) where.push(`date_added > ${param(q.addedAfter)}::timestamptz`);
  if (q.after) where.push(`date_added > ${param(q.after)}::timestamptz`);
  if (objectId) where.push(`object_id = ${param(objectId)}`);
  if (q.ids) where.push(`object_id = ANY(${param(q.ids)}::text[])`);
  if (q.types) where.push(`type = ANY(${param(q.types)}::text[])`);
  if (q.versions) where.push(`version = ANY(${param(q.versions)}::timestamptz[])`);
  return `
    SELECT object_id AS id,
           to_char(version AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS version,
           to_char(date_added AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "dateAdded",
           object
      FROM taxii_objects
     WHERE ${where.join(' AND ')}
     ORDER BY date_added
     LIMIT ${param(q.limit + 1)}`;
}

/**
 * Each member's TAXII collections, kept in `taxii_objects` (one row per
 * object, its latest version). Before it answers, a request takes into the
 * collection every version its source has that the collection lacks, under
 * a per-member lock, with date_added values after every earlier one: set by
 * the member's own request, so they reveal nothing about other members'
 * timing, and strictly increasing, so paging by date_added (next, or
 * added_after with X-TAXII-Date-Added-Last) never skips an object, even one
 * that changed while a client was paging (it moves to the end).
 */
@Injectable()
export class TaxiiFeedService {
  private readonly sources: Map<string, CollectionSource>;

  constructor(
    private readonly prisma: PrismaService,
    alerts: AlertsCollection,
  ) {
    this.sources = new Map([alerts].map((s) => [s.id, s]));
  }

  /** The collections every member has. */
  collections(): CollectionSource[] {
    return [...this.sources.values()];
  }

  /** One collection; 404 for any other id. */
  collection(id: string): CollectionSource {
    const source = this.sources.get(id);
    if (!source) throw new TaxiiError(404, 'Collection not found', `There is no collection ${id} in this API root`);
    return source;
  }

  /** A page of the member's collection, brought up to date first; `objectId` narrows it to one object. */
  async page(memberId: string, collection: string, q: TaxiiQuery, objectId?: string): Promise<FeedPage> {
    const source = this.collection(collection);
    return this.prisma.sqlAsMember(memberId, async (db) => {
      await this.sync(db, memberId, source);
      const params: unknown[] = [memberId, collection];
      const { rows } = await db.query<FeedEntry>(pageSql(q, objectId, params), params);
      return { entries: rows.slice(0, q.limit), more: rows.length > q.limit };
    });
  }

  private async sync(db: SqlClient, memberId: string, source: CollectionSource): Promise<void> {
    // Concurrent requests of one member take turns, so date_added grows in commit order.
    await db.query(`SELECT pg_advisory_xact_lock(hashtextextended('taxii:' || $1 || ':' || $2, 0))`, [memberId, source.id]);
    const { rows } = await db.query<{ present: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM taxii_objects WHERE member_id = $1::uuid AND collection = $2) AS present`,
      [memberId, source.id],
    );
    if (!rows[0].present)
      await this.store(
        db,
        memberId,
        source.id,
        source.shared().map((object) => ({ object })),
      );
    for (;;) {
      const changed = await source.changed(db, memberId, source.id, SYNC_BATCH);
      if (changed.length === 0) return;
      await this.store(db, memberId, source.id, changed);
      if (changed.length < SYNC_BATCH) return;
    }
  }

  /**
   * Upserts objects with date_added values after the collection's last, in
   * order, one millisecond apart (the precision they are shown with). An
   * object whose content did not change keeps its row and its date_added;
   * one that comes twice is stored once, where it first comes.
   */
  private async store(db: SqlClient, memberId: string, collection: string, all: SourcedObject[]): Promise<void> {
    // One row per object: a disclosed holder's identity comes with each of its alerts.
    const seen = new Set<string>();
    const items = all.filter((i) => !seen.has(i.object.id) && seen.add(i.object.id));
    if (items.length === 0) return;
    await db.query(
      `WITH base AS (
         SELECT greatest(date_trunc('milliseconds', clock_timestamp()),
                         (SELECT max(date_added) + interval '1 millisecond' FROM taxii_objects
                           WHERE member_id = $1::uuid AND collection = $2)) AS t
       )
       INSERT INTO taxii_objects AS o (member_id, collection, object_id, type, version, date_added, alert_id, alert_version, object)
       SELECT $1::uuid, $2, i.object->>'id', i.object->>'type',
              coalesce((i.object->>'modified')::timestamptz, base.t + (i.n - 1) * interval '1 millisecond'),
              base.t + (i.n - 1) * interval '1 millisecond', i.alert_id, i.alert_version, i.object
         FROM base, unnest($3::jsonb[], $4::uuid[], $5::int[]) WITH ORDINALITY AS i(object, alert_id, alert_version, n)
       ON CONFLICT (member_id, collection, object_id) DO UPDATE
         SET version = excluded.version, date_added = excluded.date_added, object = excluded.object,
             alert_id = excluded.alert_id, alert_version = excluded.alert_version
         WHERE o.object IS DISTINCT FROM excluded.object OR o.alert_version IS DISTINCT FROM excluded.alert_version`,
      [
        memberId,
        collection,
        items.map((i) => JSON.stringify(i.object)),
        items.map((i) => i.alertId ?? null),
        items.map((i) => i.alertVersion ?? null),
      ],
    );
  }
}
