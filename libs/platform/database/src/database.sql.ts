import { statement } from './statement.js';

/** Scopes the transaction to member $1: row-level security reads the setting (current_member_id()). */
export const setMemberScope = statement<[memberId: string]>('database.setMemberScope', `SELECT set_config('sigfed.member_id', $1, true)`);

/**
 * Whether the connection's role escapes row-level security (a superuser,
 * BYPASSRLS, or a member of the tables' owner).
 */
export const rowSecurityExempt = statement<[], { user: string; exempt: boolean }>(
  'database.rowSecurityExempt',
  `SELECT current_user AS user,
          r.rolsuper OR r.rolbypassrls OR pg_has_role(current_user, c.relowner, 'MEMBER') AS exempt
     FROM pg_roles r, pg_class c
    WHERE r.rolname = current_user AND c.oid = 'public.indicators'::regclass`,
);

/** Whether the migration ledger exists yet. */
export const ledgerPresent = statement<[], { present: boolean }>(
  'database.ledgerPresent',
  `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`,
);

/** The migrations applied, with their files' checksums then. */
export const appliedMigrations = statement<[], { migration_name: string; checksum: string }>(
  'database.appliedMigrations',
  `SELECT migration_name, checksum FROM "_prisma_migrations"
    WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
);

/** Records migration $3 (file checksum $2), started at $4, as applied. */
export const recordMigration = statement<[id: string, checksum: string, name: string, startedAt: Date]>(
  'database.recordMigration',
  `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
   VALUES ($1, $2, $3, $4, now(), 1)`,
);

/** Takes the session's migration lock $1, waiting for another migrator to finish. */
export const migrationLock = statement<[key: number]>('database.migrationLock', `SELECT pg_advisory_lock($1)`);

/** Releases the session's migration lock $1. */
export const migrationUnlock = statement<[key: number]>('database.migrationUnlock', `SELECT pg_advisory_unlock($1)`);

/** The server's version, as `SHOW server_version` gives it. */
export const serverVersion = statement<[], { version: string }>(
  'database.serverVersion',
  `SELECT current_setting('server_version') AS version`,
);
