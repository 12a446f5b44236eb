import { statement } from '@app/database';

/** Locks member $1's row, so that concurrent key changes see each other's counts. */
export const lockMember = statement<[memberId: string], { id: string }>(
  'members.lockMember',
  `SELECT id FROM members WHERE id = $1::uuid FOR UPDATE`,
);

/** Takes the transaction-scoped advisory lock $1 (bootstrapping the first admin). */
export const advisoryLock = statement<[key: number]>('members.advisoryLock', `SELECT pg_advisory_xact_lock($1::bigint)`);
