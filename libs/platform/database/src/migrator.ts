import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { appliedMigrations, ledgerPresent, migrationLock, migrationUnlock, recordMigration } from './database.sql.js';
import { connectPg } from './postgres.js';
import { pgQuery, pgRows } from './statement.js';

/**
 * Applies prisma/migrations/<timestamp>_<name>/migration.sql in order. The
 * ledger is Prisma's own `_prisma_migrations` table, so `prisma migrate
 * deploy` on a machine that has the schema engine sees the same history.
 */

/** One migration file on disk. */
export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

/** Where each migration stands against one database. */
export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Applied, but the file changed since. */
  modified: string[];
  /** Recorded in the database, but no file has that name (a newer release applied it). */
  unknown: string[];
}

/** A migration that failed; the database is as it was before that migration. */
export class MigrationError extends Error {
  constructor(
    readonly migration: string,
    override readonly cause: Error,
    readonly line?: number,
  ) {
    super(
      `migration ${migration} failed${line ? ` at line ${line}` : ''}: ${cause.message}; ` +
        'it was rolled back and the database is unchanged by it',
    );
    this.name = 'MigrationError';
  }
}

/** Prisma Migrate's advisory lock key: the two can never run at once. */
const MIGRATION_LOCK_KEY = 72707369;

const LEDGER_DDL = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"            VARCHAR(64) NOT NULL,
    "finished_at"         TIMESTAMPTZ,
    "migration_name"      VARCHAR(255) NOT NULL,
    "logs"                TEXT,
    "rolled_back_at"      TIMESTAMPTZ,
    "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/** Reads the migration folders in name (timestamp) order. */
export function readMigrations(dir: string): MigrationFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

async function ledger(client: pg.Client): Promise<Map<string, string>> {
  const rows = await pgRows(client, appliedMigrations, []);
  return new Map(rows.map((row) => [row.migration_name, row.checksum]));
}

function compare(files: MigrationFile[], done: Map<string, string>): MigrationStatus {
  const names = new Set(files.map((f) => f.name));
  return {
    applied: files.filter((f) => done.has(f.name)).map((f) => f.name),
    pending: files.filter((f) => !done.has(f.name)).map((f) => f.name),
    modified: files.filter((f) => done.has(f.name) && done.get(f.name) !== f.checksum).map((f) => f.name),
    unknown: [...done.keys()].filter((name) => !names.has(name)),
  };
}

function lineOf(sql: string, position: unknown): number | undefined {
  const offset = Number(position);
  if (!Number.isInteger(offset) || offset < 1) return undefined;
  return sql.slice(0, offset - 1).split('\n').length;
}

/** Reports applied, pending, modified and unknown migrations without changing anything. */
export async function migrationStatus(url: string, dir: string): Promise<MigrationStatus> {
  const files = readMigrations(dir);
  const client = await connectPg(url);
  try {
    const [{ present }] = await pgRows(client, ledgerPresent, []);
    const done = present ? await ledger(client) : new Map<string, string>();
    return compare(files, done);
  } finally {
    await client.end();
  }
}

/**
 * Applies every pending migration, each in its own transaction, while holding
 * the advisory lock, so concurrent starts apply each file exactly once.
 */
export async function migrate(url: string, dir: string, log: (line: string) => void = () => undefined): Promise<string[]> {
  const files = readMigrations(dir);
  const client = await connectPg(url);
  const applied: string[] = [];
  try {
    await pgQuery(client, migrationLock, [MIGRATION_LOCK_KEY]);
    await client.query(LEDGER_DDL);
    const done = await ledger(client);
    for (const file of files) {
      if (done.has(file.name)) continue;
      const started = new Date();
      try {
        await client.query('BEGIN');
        await client.query(file.sql);
        await pgQuery(client, recordMigration, [randomUUID(), file.checksum, file.name, started]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new MigrationError(file.name, error as Error, lineOf(file.sql, (error as { position?: string }).position));
      }
      applied.push(file.name);
      log(`applied migration ${file.name}`);
    }
    return applied;
  } finally {
    await pgQuery(client, migrationUnlock, [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}
