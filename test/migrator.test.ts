import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { connectPg, migrate, MigrationError, migrationStatus } from '@app/database';
import { adminDatabaseUrl, databaseUrlFor, dropDatabase } from './support/databases.js';

const base = process.env.DATABASE_URL!.split('/').pop()!;
let counter = 0;
const made: string[] = [];

async function emptyDatabase(): Promise<string> {
  const name = `${base}_m${counter++}`;
  made.push(name);
  const admin = await connectPg(adminDatabaseUrl());
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  return databaseUrlFor(name);
}

function migrationsFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sigfed-migrations-'));
  for (const [name, sql] of Object.entries(files)) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

async function tables(url: string): Promise<string[]> {
  const client = await connectPg(url);
  const { rows } = await client.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
  await client.end();
  return rows.map((r) => r.t);
}

describe('the migrator', () => {
  let dir: string;
  beforeEach(() => {
    dir = migrationsFolder({
      '20260101000000_first': 'CREATE TABLE a (id int PRIMARY KEY);',
      '20260102000000_second': 'CREATE TABLE b (id int PRIMARY KEY REFERENCES a(id));',
    });
    return () => rmSync(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    for (const name of made) await dropDatabase(name);
  });

  it('applies each migration once, in order, in a Prisma-compatible ledger', async () => {
    const url = await emptyDatabase();
    expect(await migrate(url, dir)).toEqual(['20260101000000_first', '20260102000000_second']);
    expect(await migrate(url, dir)).toEqual([]);
    expect(await tables(url)).toEqual(['_prisma_migrations', 'a', 'b']);
    const client = await connectPg(url);
    const { rows } = await client.query(
      `SELECT migration_name, length(checksum) AS len, finished_at IS NOT NULL AS done, applied_steps_count
         FROM _prisma_migrations ORDER BY started_at`,
    );
    await client.end();
    expect(rows).toEqual([
      { migration_name: '20260101000000_first', len: 64, done: true, applied_steps_count: 1 },
      { migration_name: '20260102000000_second', len: 64, done: true, applied_steps_count: 1 },
    ]);
  });

  it('applies each migration exactly once when several processes start at the same moment', async () => {
    const url = await emptyDatabase();
    const results = await Promise.all([1, 2, 3, 4].map(() => migrate(url, dir)));
    expect(results.flat().sort()).toEqual(['20260101000000_first', '20260102000000_second']);
    expect((await migrationStatus(url, dir)).pending).toEqual([]);
  });

  it('leaves the database as it was when a migration fails, and names the file and line', async () => {
    const url = await emptyDatabase();
    await migrate(url, dir);
    writeFileSync(join(dir, '20260102000000_second', 'migration.sql'), 'CREATE TABLE b (id int);'); // already applied: no effect
    mkdirSync(join(dir, '20260103000000_broken'));
    writeFileSync(
      join(dir, '20260103000000_broken', 'migration.sql'),
      'CREATE TABLE c (id int);\nALTER TABLE a ADD COLUMN note text;\nINSERT INTO nowhere VALUES (1);\n',
    );
    const failure = await migrate(url, dir).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(MigrationError);
    expect((failure as MigrationError).message).toMatch(
      /^migration 20260103000000_broken failed at line 3: relation "nowhere" does not exist; it was rolled back/,
    );
    // Neither table c nor column a.note survived, and the ledger does not list the migration.
    expect(await tables(url)).toEqual(['_prisma_migrations', 'a', 'b']);
    const client = await connectPg(url);
    const { rows } = await client.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'a'`);
    await client.end();
    expect(rows).toEqual([{ column_name: 'id' }]);
    const status = await migrationStatus(url, dir);
    expect(status.pending).toEqual(['20260103000000_broken']);
    expect(status.modified).toEqual(['20260102000000_second']);
    // The next start says the same thing.
    await expect(migrate(url, dir)).rejects.toThrow(/migration 20260103000000_broken failed at line 3/);
  });

  it('reports migrations the database has that this release does not know', async () => {
    const url = await emptyDatabase();
    await migrate(url, dir);
    rmSync(join(dir, '20260102000000_second'), { recursive: true });
    expect(await migrationStatus(url, dir)).toEqual({
      applied: ['20260101000000_first'],
      pending: [],
      modified: [],
      unknown: ['20260102000000_second'],
    });
  });
});
