import { Injectable } from '@nestjs/common';
import { pgQuery, pgRows, PrismaService, type SqlClient } from '@app/database';
import { AlertsCollection, type CollectionSource, type SourcedObject } from './alerts-collection.js';
import type { StixObject } from './stix/alert-objects.js';
import { TaxiiError } from './taxii.error.js';
import { collectionPresent, feedPage, lockCollection, storeObjects, type FeedEntry } from './taxii.sql.js';
import type { TaxiiQuery } from './taxii-query.js';

export type { FeedEntry };

/** A page in date_added order; `more` when objects after it match too. */
export interface FeedPage {
  entries: FeedEntry[];
  more: boolean;
}

/** New versions taken into the collection per statement, so a first poll of a long history stays bounded per query. */
const SYNC_BATCH = 500;

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
      const rows = await pgRows(db, feedPage, [
        memberId,
        collection,
        q.specVersionMatches,
        q.addedAfter ?? null,
        q.after ?? null,
        objectId ?? null,
        q.ids ?? null,
        q.types ?? null,
        q.versions ?? null,
        q.limit + 1,
      ]);
      return { entries: rows.slice(0, q.limit), more: rows.length > q.limit };
    });
  }

  private async sync(db: SqlClient, memberId: string, source: CollectionSource): Promise<void> {
    // Concurrent requests of one member take turns, so date_added grows in commit order.
    await pgQuery(db, lockCollection, [memberId, source.id]);
    const rows = await pgRows(db, collectionPresent, [memberId, source.id]);
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
    await pgQuery(db, storeObjects, [
      memberId,
      collection,
      items.map((i) => JSON.stringify(i.object)),
      items.map((i) => i.alertId ?? null),
      items.map((i) => i.alertVersion ?? null),
    ]);
  }
}
