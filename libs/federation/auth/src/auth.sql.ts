import { statement, type KeyStatus, type MemberRole, type MemberStatus } from '@app/database';

/** What an authenticated request needs to know about its member and key, as stored. */
export interface MemberState {
  memberStatus: MemberStatus;
  role: MemberRole;
  keyStatus: KeyStatus;
}

/** Member $1's status and role, and the status of its key $2. */
export const memberState = statement<[memberId: string, kid: string], MemberState>(
  'auth.memberState',
  `SELECT m.status AS "memberStatus", m.role, k.status AS "keyStatus"
     FROM member_keys k
     JOIN members m ON m.id = k.member_id
    WHERE k.kid = $2 AND m.id = $1::uuid`,
);

/** Records that key $1 was used, at most once a minute. */
export const keyUsed = statement<[kid: string]>(
  'auth.keyUsed',
  `UPDATE member_keys SET last_used_at = now()
    WHERE kid = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
);

/** Takes the transaction-scoped advisory lock $1 (signing-key rotation). */
export const advisoryLock = statement<[key: number]>('auth.advisoryLock', `SELECT pg_advisory_xact_lock($1::bigint)`);
