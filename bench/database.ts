import { closeSync, existsSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { migrationsDir } from '@app/common';
import { connectPg, databaseName, maintenanceUrl, migrate } from '@app/database';
import { BENCH_EPOCH, INDICATOR_TYPES } from './workload.js';

/** The baseline's own tables: same shape, constraints and indexes as the server's. */
export const BASELINE_SCHEMA = 'bench_baseline';
/** The same, with the indicators table hash-partitioned by token (docs/scaling.md). */
export const PARTITIONED_SCHEMA = 'bench_partitioned';

/** Opens one connection (pg straight, as the baseline uses it). */
export function open(url: string): Promise<pg.Client> {
  return connectPg(url, 10_000);
}

/**
 * Drops and recreates the bench database, then applies the project's
 * migrations with its own migrator. Refuses any database whose name does not
 * say "bench", so a typo cannot drop real data, and one that has
 * connections, so two benches on one machine cannot drop each other's.
 */
export async function recreateDatabase(url: string, log: (line: string) => void): Promise<void> {
  const name = databaseName(url);
  if (!/bench/i.test(name)) throw new Error(`refusing to drop database "${name}": the bench database's name must contain "bench"`);
  const admin = await open(maintenanceUrl(url));
  try {
    // Another bench on the same database would lose it mid-run (and this one its figures): refuse instead.
    const { rows } = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
    if (rows[0].n > 0) {
      throw new Error(
        `database "${name}" has ${rows[0].n} connection(s): another bench may be using it; pass --database-url with a database of your own`,
      );
    }
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const applied = await migrate(url, migrationsDir());
  log(`database ${name} recreated; ${applied.length} migration(s) applied by the project's migrator`);
}

/**
 * The baseline's tables, in a schema of their own: LIKE ... INCLUDING ALL
 * copies columns, defaults, checks and every index (the primary key too);
 * the foreign key to members is added by hand, as the server's table has it.
 */
export async function createBaselineTables(db: pg.Client): Promise<void> {
  await db.query(`
    CREATE SCHEMA ${BASELINE_SCHEMA};
    CREATE TABLE ${BASELINE_SCHEMA}.indicators (LIKE public.indicators INCLUDING ALL);
    ALTER TABLE ${BASELINE_SCHEMA}.indicators
      ADD FOREIGN KEY (member_no) REFERENCES public.members(member_no) ON DELETE CASCADE;
    CREATE TABLE ${BASELINE_SCHEMA}.matches (LIKE public.matches INCLUDING ALL);`);
}

/**
 * A copy of the baseline's tables whose indicators table is partitioned by
 * HASH (token) into `partitions` tables: the primary key contains the token,
 * so ON CONFLICT works per partition; the other indexes are created on every
 * partition. What docs/scaling.md proposes, tried with the baseline statement.
 */
export async function createPartitionedTables(db: pg.Client, partitions: number): Promise<void> {
  const s = PARTITIONED_SCHEMA;
  await db.query(`
    CREATE SCHEMA ${s};
    CREATE TABLE ${s}.indicators (LIKE public.indicators INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY HASH (token);
    ALTER TABLE ${s}.indicators ADD PRIMARY KEY (key_space, token, member_no);
    CREATE INDEX ON ${s}.indicators (submission_id);
    CREATE INDEX ON ${s}.indicators (expires_at);
    ALTER TABLE ${s}.indicators ADD FOREIGN KEY (member_no) REFERENCES public.members(member_no) ON DELETE CASCADE;
    CREATE TABLE ${s}.matches (LIKE public.matches INCLUDING ALL);`);
  for (let i = 0; i < partitions; i++) {
    await db.query(
      `CREATE TABLE ${s}.indicators_p${i} PARTITION OF ${s}.indicators FOR VALUES WITH (MODULUS ${partitions}, REMAINDER ${i})`,
    );
  }
}

/**
 * Appends preloaded rows [from, from + count) to `table` with INSERT ...
 * SELECT FROM generate_series, in chunks so progress can be shown, with the
 * table's indexes in place (the index grows as ingestion would grow it).
 * Row i is what bench/workload.ts's preloadToken/preloadType/preloadOwner say.
 */
export async function preloadRows(
  db: pg.Client,
  table: string,
  from: number,
  count: number,
  memberIds: string[],
  onChunk: (rows: number) => void,
  chunk = 250_000,
): Promise<void> {
  // Only this session's commits skip the WAL flush wait; durability of the server's writes is unchanged.
  await db.query('SET synchronous_commit = off');
  const { spaces, numbers } = await preloadKeys(db, memberIds);
  for (let start = from; start < from + count; start += chunk) {
    const end = Math.min(from + count, start + chunk) - 1;
    await db.query(
      `INSERT INTO ${table} (key_space, token, member_no, confidence, observed_at, first_seen_at, last_seen_at,
                             expires_at, external_ref, disclose_identity, submission_id)
       SELECT ($1::int[])[((g / $4) % 4 + 1)::int], sha256('\\x01'::bytea || int8send(g)),
              ($3::smallint[])[(g % $4 + 1)::int], 50, now() - interval '2 days', now() - interval '2 days', now() - interval '1 day',
              now() + interval '90 days', '', false,
              ('00000000-0000-4000-8000-' || lpad(to_hex(g / 10000), 12, '0'))::uuid
         FROM generate_series($2::bigint, $5::bigint) AS g`,
      [spaces, start, numbers, memberIds.length, end],
    );
    onChunk(end - start + 1);
  }
  await db.query('SET synchronous_commit = on');
}

/**
 * The key spaces of BENCH_EPOCH in INDICATOR_TYPES order (added if missing)
 * and the member numbers of `memberIds`, in their order.
 */
async function preloadKeys(db: pg.Client, memberIds: string[]): Promise<{ spaces: number[]; numbers: number[] }> {
  await db.query(
    `INSERT INTO public.key_spaces (type, key_epoch) SELECT t, $2 FROM unnest($1::"IndicatorType"[]) AS t ON CONFLICT DO NOTHING`,
    [INDICATOR_TYPES, BENCH_EPOCH],
  );
  const spaces = await db.query<{ id: number }>(
    `SELECT k.id FROM unnest($1::"IndicatorType"[]) WITH ORDINALITY AS t(type, n)
       JOIN public.key_spaces k ON k.type = t.type AND k.key_epoch = $2 ORDER BY t.n`,
    [INDICATOR_TYPES, BENCH_EPOCH],
  );
  const numbers = await db.query<{ no: number }>(
    `SELECT m.member_no AS no FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, n) JOIN public.members m ON m.id = u.id ORDER BY u.n`,
    [memberIds],
  );
  return { spaces: spaces.rows.map((r) => r.id), numbers: numbers.rows.map((r) => r.no) };
}

/** VACUUM (ANALYZE) so that visibility maps and statistics are current, then a CHECKPOINT. */
export async function settle(db: pg.Client, tables: string[]): Promise<void> {
  for (const table of tables) await db.query(`VACUUM (ANALYZE) ${table}`);
  await db.query('CHECKPOINT');
}

/** Rows and on-disk bytes (heap, TOAST and every index; summed over partitions) of a table. */
export async function tableSize(
  db: pg.Client,
  table: string,
): Promise<{ rows: number; bytes: number; heapBytes: number; indexBytes: number }> {
  const { rows } = await db.query<{ rows: string; bytes: string; heap: string; idx: string }>(
    `SELECT (SELECT count(*) FROM ${table}) AS rows, sum(pg_total_relation_size(relid)) AS bytes,
            sum(pg_relation_size(relid)) AS heap, sum(pg_indexes_size(relid)) AS idx
       FROM (SELECT relid FROM pg_partition_tree($1::regclass) UNION SELECT $1::regclass) AS rels`,
    [table],
  );
  return { rows: Number(rows[0].rows), bytes: Number(rows[0].bytes), heapBytes: Number(rows[0].heap), indexBytes: Number(rows[0].idx) };
}

/** Count of alert rows and of open matches (a full count: call it at phase boundaries, not in a tight loop). */
export async function correlationState(db: pg.Client): Promise<{ alerts: number; matches: number }> {
  const { rows } = await db.query<{ alerts: number; matches: number }>(
    `SELECT (SELECT count(*)::int FROM alerts) AS alerts, (SELECT count(*)::int FROM matches WHERE status = 'OPEN') AS matches`,
  );
  return rows[0];
}

/** Outbox events not processed yet: an index range read, cheap enough to poll every few milliseconds. */
export async function pendingEvents(db: pg.Client): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_events WHERE processed_at IS NULL');
  return rows[0].n;
}

/** PostgreSQL's version string and the settings that shape write performance. */
export async function serverFacts(db: pg.Client): Promise<{ version: string; settings: Record<string, string> }> {
  const version = (await db.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
  const { rows } = await db.query<{ name: string; setting: string; unit: string | null }>(
    `SELECT name, setting, unit FROM pg_settings
      WHERE name IN ('shared_buffers', 'work_mem', 'max_wal_size', 'synchronous_commit', 'checkpoint_timeout', 'max_connections')`,
  );
  const settings: Record<string, string> = {};
  for (const r of rows) settings[r.name] = r.unit ? `${r.setting} (${r.unit})` : r.setting;
  return { version, settings };
}

/**
 * Turns on auto_explain for every new session of the bench database: each
 * statement slower than `minMs` has its EXPLAIN (ANALYZE, BUFFERS) written
 * to the PostgreSQL log. `collect` copies what was logged since into a file.
 * Timing every plan node costs some speed: use it to explain, not to measure.
 */
export async function startAutoExplain(url: string, minMs = 20): Promise<{ collect: (file: string) => Promise<string> }> {
  const name = databaseName(url);
  const admin = await open(url);
  let logFile: string | undefined;
  try {
    for (const setting of [
      `session_preload_libraries = 'auto_explain'`,
      `auto_explain.log_min_duration = '${minMs}ms'`,
      'auto_explain.log_analyze = on',
      'auto_explain.log_buffers = on',
      'auto_explain.log_nested_statements = on',
    ]) {
      await admin.query(`ALTER DATABASE "${name}" SET ${setting}`);
    }
    const current = (await admin.query<{ f: string | null }>('SELECT pg_current_logfile() AS f')).rows[0].f;
    const version = (await admin.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0].v.slice(0, 2);
    const dataDir = (await admin.query<{ d: string }>(`SELECT current_setting('data_directory') AS d`)).rows[0].d;
    const candidates = [
      current && (current.startsWith('/') ? current : `${dataDir}/${current}`),
      `/var/log/postgresql/postgresql-${version}-main.log`,
    ];
    logFile = candidates.find((f): f is string => Boolean(f) && existsSync(f as string));
  } finally {
    await admin.end();
  }
  const offset = logFile ? statSync(logFile).size : 0;
  return {
    collect: async (file) => {
      if (!logFile) return 'auto_explain: the PostgreSQL log file was not found; plans are in the server log';
      const size = statSync(logFile).size - offset;
      const buffer = Buffer.alloc(Math.max(0, size));
      const fd = openSync(logFile, 'r');
      readSync(fd, buffer, 0, buffer.length, offset);
      closeSync(fd);
      writeFileSync(file, buffer);
      const plans = (buffer.toString('utf8').match(/LOG: {2}duration: /g) ?? []).length;
      return `auto_explain: ${plans} plan(s) of statements over ${minMs} ms copied from ${logFile} to ${file}`;
    },
  };
}
