import { statement } from '@app/database';
import type { StixObject } from './stix/alert-objects.js';

/** One stored object version as the endpoints list it. */
export interface FeedEntry {
  id: string;
  /** The version (modified; for objects without one, when it was added), STIX timestamp. */
  version: string;
  /** When this version was added to the member's collection, STIX timestamp, unique per collection. */
  dateAdded: string;
  object: StixObject;
}

/**
 * A page of member $1's collection $2, ordered by date_added, which is unique
 * per collection, so "after the last one I saw" is a complete cursor. Each
 * filter is off when its parameter is null: $3 whether the asked spec
 * version matches (false: no rows), $4 added_after, $5 the previous page's
 * last date_added, $6 one object's id, $7 object ids, $8 types, $9 versions;
 * $10 rows at most.
 */
export const feedPage = statement<
  [
    memberId: string,
    collection: string,
    specVersionMatches: boolean,
    addedAfter: string | null,
    after: string | null,
    objectId: string | null,
    ids: string[] | null,
    types: string[] | null,
    versions: string[] | null,
    limit: number,
  ],
  FeedEntry
>(
  'taxii.feedPage',
  `SELECT object_id AS id,
          to_char(version AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS version,
          to_char(date_added AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "dateAdded",
          object
     FROM taxii_objects
    WHERE member_id = $1::uuid AND collection = $2 AND $3::boolean
      AND ($4::timestamptz IS NULL OR date_added > $4::timestamptz)
      AND ($5::timestamptz IS NULL OR date_added > $5::timestamptz)
      AND ($6::text IS NULL OR object_id = $6::text)
      AND ($7::text[] IS NULL OR object_id = ANY($7::text[]))
      AND ($8::text[] IS NULL OR type = ANY($8::text[]))
      AND ($9::timestamptz[] IS NULL OR version = ANY($9::timestamptz[]))
    ORDER BY date_added
    LIMIT $10`,
);

/** Takes member $1's turn at collection $2: concurrent requests of one member take turns, so date_added grows in commit order. */
export const lockCollection = statement<[memberId: string, collection: string]>(
  'taxii.lockCollection',
  `SELECT pg_advisory_xact_lock(hashtextextended('taxii:' || $1 || ':' || $2, 0))`,
);

/** Whether member $1's collection $2 holds any object yet. */
export const collectionPresent = statement<[memberId: string, collection: string], { present: boolean }>(
  'taxii.collectionPresent',
  `SELECT EXISTS (SELECT 1 FROM taxii_objects WHERE member_id = $1::uuid AND collection = $2) AS present`,
);

/**
 * Upserts objects $3 (with their alert ids $4 and versions $5) with
 * date_added values after the collection's last, in order, one millisecond
 * apart. An object whose content did not change keeps its row and its
 * date_added.
 */
export const storeObjects = statement<
  [memberId: string, collection: string, objects: string[], alertIds: (string | null)[], alertVersions: (number | null)[]]
>(
  'taxii.storeObjects',
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
);

/** The alert versions member $1's collection $2 holds (of its indicators). */
export const heldVersions = statement<[memberId: string, collection: string], { alertId: string; alertVersion: number }>(
  'taxii.heldVersions',
  `SELECT alert_id AS "alertId", alert_version AS "alertVersion" FROM taxii_objects
    WHERE member_id = $1::uuid AND collection = $2 AND type = 'indicator'`,
);

/** Member $1's alerts and their versions, oldest first. */
export const alertVersions = statement<[memberId: string], { id: string; version: number }>(
  'taxii.alertVersions',
  `SELECT id, version FROM alerts WHERE member_id = $1::uuid ORDER BY created_at, id`,
);
