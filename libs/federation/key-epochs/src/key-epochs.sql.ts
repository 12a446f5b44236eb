import { statement } from '@app/database';
import type { EvaluatingMember } from './evaluation-budgets.js';

/**
 * Epoch labels indicators carry, each found by one index probe per step: a
 * loose scan of the primary key (type, key_epoch, ...) per type, not a scan
 * of the table.
 */
export const labelsInUse = statement<[], { label: string }>(
  'key-epochs.labelsInUse',
  `WITH RECURSIVE types AS (SELECT unnest(enum_range(NULL::"IndicatorType")) AS type),
   labels AS (
     SELECT t.type, (SELECT min(i.key_epoch) FROM indicators i WHERE i.type = t.type) AS label FROM types t
     UNION ALL
     SELECT l.type, (SELECT min(i.key_epoch) FROM indicators i WHERE i.type = l.type AND i.key_epoch > l.label)
       FROM labels l WHERE l.label IS NOT NULL
   )
   SELECT DISTINCT label FROM labels WHERE label IS NOT NULL ORDER BY label`,
);

/** Member $1's hourly quota and probing throttle, as the evaluation budgets read them. */
export const evaluatingMember = statement<[memberId: string], EvaluatingMember>(
  'key-epochs.evaluatingMember',
  `SELECT indicators_per_hour AS quota, probing_throttled_since AS "throttledSince" FROM members WHERE id = $1::uuid`,
);
