import { statement } from '@app/database';
import type { EvaluatingMember } from './evaluation-budgets.js';

/**
 * Epoch labels indicators carry: the key spaces that still hold a row, each
 * found by one probe of the primary key (key_space, ...), not a scan of the table.
 */
export const labelsInUse = statement<[], { label: string }>(
  'key-epochs.labelsInUse',
  `SELECT DISTINCT k.key_epoch AS label
     FROM key_spaces k
    WHERE EXISTS (SELECT 1 FROM indicators i WHERE i.key_space = k.id)
    ORDER BY label`,
);

/** Member $1's hourly quota and probing throttle, as the evaluation budgets read them. */
export const evaluatingMember = statement<[memberId: string], EvaluatingMember>(
  'key-epochs.evaluatingMember',
  `SELECT indicators_per_hour AS quota, probing_throttled_since AS "throttledSince" FROM members WHERE id = $1::uuid`,
);
