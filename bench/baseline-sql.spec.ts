import { describe, expect, it } from 'vitest';
import { INDICATOR_UPSERT_CONFLICT, storeSubmission } from '@app/indicators';
import { baselineStatement, BASELINE_UPSERT_STATEMENT } from './ingest.js';

/** The text of `INSERT INTO <table> AS i (<columns>)` up to the end of its ON CONFLICT rules, spaces collapsed and the table's schema dropped. */
function indicatorUpsert(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ');
  const start = flat.search(/INSERT INTO (\w+\.)?indicators AS i \(/);
  const end = flat.indexOf('submission_id = EXCLUDED.submission_id', start);
  expect(start, 'an upsert into indicators').toBeGreaterThanOrEqual(0);
  expect(end, 'its ON CONFLICT rules').toBeGreaterThan(start);
  return flat.slice(start, end).replace(/INSERT INTO \w+\.indicators/, 'INSERT INTO indicators');
}

/** The column list of that INSERT. */
function insertedColumns(sql: string): string {
  return /INSERT INTO \S+ AS i \(([^)]*)\)/.exec(indicatorUpsert(sql))![1];
}

describe('bench baseline SQL', () => {
  it("upserts indicators under the service's own ON CONFLICT rules and into the same columns", () => {
    for (const baseline of [baselineStatement(), BASELINE_UPSERT_STATEMENT]) {
      expect(baseline).toContain(INDICATOR_UPSERT_CONFLICT);
      expect(insertedColumns(baseline)).toBe(insertedColumns(storeSubmission.text));
      expect(indicatorUpsert(baseline).slice(indicatorUpsert(baseline).indexOf(' ON CONFLICT'))).toBe(
        indicatorUpsert(storeSubmission.text).slice(indicatorUpsert(storeSubmission.text).indexOf(' ON CONFLICT')),
      );
    }
  });
});
