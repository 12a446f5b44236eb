/**
 * PostgreSQL CPU per alerts page, measured on one connection as the API's
 * role: each page in the transaction `sqlAsMember(..., { readOnly: true,
 * indexOrder: true })` opens (`memberTransactionBegin`), the page
 * statement prepared under its name, `COMMIT`; the backend's CPU time read
 * from `/proc/<pid>/schedstat` (nanoseconds on CPU) before and after each
 * variant. The machine's other load disturbs this far less than the bench's
 * rates. Needs a kept bench database (`npm run bench -- --quick --phases reads
 * --keep --database-url ...`) on this machine.
 *
 *   node dist/bench/page-cpu.js --database-url postgresql://postgres@127.0.0.1:5432/sigfed_bench_x [--pages 1000]
 *   node dist/bench/page-cpu.js --database-url <before copy> --database-url <after copy>   (interleaved)
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { pathToFileURL } from 'node:url';
import * as ownStatements from '@app/alerts';
import { memberTransactionBegin, namedQuery, type AlertStatus, type IndicatorType } from '@app/database';
import { open } from './database.js';
import { percentile } from './stats.js';

const PAGE = 20;
type Filters = { status?: AlertStatus; type?: IndicatorType; since?: Date };
interface Variant {
  label: string;
  priority?: boolean;
  filters?: Filters;
  secondPage?: boolean;
  /** The transaction alone, no page. */
  empty?: boolean;
  /** Read as the passive holders (no submissions; READ_HISTORY gives each one type), not the submitting readers. */
  passive?: boolean;
  /** Read as this reader only (0 holds the most alerts). */
  only?: number;
}

const VARIANTS: Variant[] = [
  { label: 'transaction only (BEGIN ...; COMMIT)', empty: true },
  { label: 'first page (NEWEST)' },
  { label: 'first page, the reader with the fewest alerts', only: 3 },
  { label: 'PRIORITY', priority: true },
  { label: 'filter { status: OPEN }', filters: { status: 'OPEN' } },
  { label: 'filter { type: IP_RANGE }', filters: { type: 'IP_RANGE' } },
  { label: 'PRIORITY, filter { type: IP_RANGE }', priority: true, filters: { type: 'IP_RANGE' } },
  { label: 'filter { since: an hour ago }', filters: { since: new Date(Date.now() - 3_600_000) } },
  { label: 'PRIORITY, filter { status: OPEN }', priority: true, filters: { status: 'OPEN' } },
  { label: 'second page', secondPage: true },
  { label: 'PRIORITY, second page', priority: true, secondPage: true },
  // Last: before the type code, its pages cost 50 times the others', which disturbs whatever runs next.
  { label: 'filter { type: IP_RANGE }, passive holders', filters: { type: 'IP_RANGE' }, passive: true },
];

const begin = (memberId: string) => memberTransactionBegin(memberId, 30_000, { readOnly: true, indexOrder: true });

function cpuNs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
}

function apiUrl(url: string): string {
  const u = new URL(url);
  u.username = 'sigfed_api';
  u.password = '';
  return u.toString();
}

/** The list's page statements (the OfType ones optional: a build from before them filters by type in the others). */
type Statements = Pick<typeof ownStatements, 'alertsPage' | 'alertsPageAfter' | 'alertsPageByPriority' | 'alertsPageByPriorityAfter'> &
  Partial<
    Pick<
      typeof ownStatements,
      'alertsPageOfType' | 'alertsPageOfTypeAfter' | 'alertsPageOfTypeByPriority' | 'alertsPageOfTypeByPriorityAfter'
    >
  >;

/** The page's query for `member`, and its second page's cursor once the first was read. */
function pageQuery(
  st: Statements,
  v: Variant,
  member: string,
  cursor: { rank: number; id: string } | undefined,
): pg.QueryConfig<unknown[]> | null {
  const {
    alertsPage,
    alertsPageAfter,
    alertsPageByPriority,
    alertsPageByPriorityAfter,
    alertsPageOfType = alertsPage,
    alertsPageOfTypeAfter = alertsPageAfter,
    alertsPageOfTypeByPriority = alertsPageByPriority,
    alertsPageOfTypeByPriorityAfter = alertsPageByPriorityAfter,
  } = st;
  const f = v.filters ?? {};
  const filters = [member, f.status ?? null, f.type ?? null, f.since ?? null, PAGE + 1] as const;
  // As AlertsService.list chooses them.
  const typed = filters[2] !== null;
  if (v.secondPage && cursor) {
    return v.priority
      ? namedQuery(typed ? alertsPageOfTypeByPriorityAfter : alertsPageByPriorityAfter, [...filters, cursor.rank, cursor.id])
      : namedQuery(typed ? alertsPageOfTypeAfter : alertsPageAfter, [...filters, cursor.id]);
  }
  return v.priority
    ? namedQuery(typed ? alertsPageOfTypeByPriority : alertsPageByPriority, [...filters])
    : namedQuery(typed ? alertsPageOfType : alertsPage, [...filters]);
}

interface Target {
  url: string;
  st: Statements;
  db: pg.Client;
  pid: number;
  readers: { member_id: string; n: number }[];
  passive: { member_id: string; n: number }[];
}

async function target(url: string, st: Statements): Promise<Target> {
  const owner = await open(url);
  // The submitting members are the bench's readers; the others hold alerts only as the history's other holders.
  const held = async (submitters: boolean) =>
    (
      await owner.query<{ member_id: string; n: number }>(
        `SELECT a.member_id, count(*)::int AS n FROM alerts a
          WHERE EXISTS (SELECT 1 FROM submissions s WHERE s.member_id = a.member_id) = $1
          GROUP BY a.member_id ORDER BY n DESC LIMIT 4`,
        [submitters],
      )
    ).rows;
  const readers = await held(true);
  const passive = await held(false);
  await owner.end();
  const db = await open(apiUrl(url));
  const pid = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  return { url, st, db, pid, readers, passive };
}

const CHUNK = 100;

/**
 * With several --database-url, each variant's pages alternate between the
 * databases in chunks of CHUNK pages, so that the machine's changing load
 * falls on all of them alike (a before/after pair on two copies of one
 * database). `--statements` (one per database, in order; `-` for this
 * build's) takes the page statements from another build's compiled
 * alerts.sql.js, e.g. main's in a worktree of its own. `--only <text>`
 * runs the variants whose label contains it.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'database-url': { type: 'string', multiple: true },
      statements: { type: 'string', multiple: true },
      pages: { type: 'string', default: '1000' },
      only: { type: 'string' },
    },
  });
  const urls = values['database-url'] ?? [];
  if (urls.length === 0) throw new Error('--database-url is required');
  const modules = values.statements ?? [];
  const pages = Math.max(CHUNK, Math.round(Number(values.pages) / CHUNK) * CHUNK);
  const targets: Target[] = [];
  for (const [k, url] of urls.entries()) {
    const path = modules[k];
    const st = path && path !== '-' ? ((await import(pathToFileURL(path).href)) as Statements) : ownStatements;
    targets.push(await target(url, st));
  }
  for (const t of targets) {
    console.log(
      `${new URL(t.url).pathname.slice(1)}: readers holding ${t.readers.map((r) => r.n).join(' / ')} alerts, ` +
        `passive holders ${t.passive.map((r) => r.n).join(' / ')}`,
    );
  }
  console.log(`${pages} pages per variant and database; load ${loadavg()}`);
  for (const v of VARIANTS.filter((x) => !values.only || x.label.includes(values.only!))) {
    const runs = [];
    for (const t of targets) {
      const members = v.only !== undefined ? [t.readers[v.only]] : v.passive ? t.passive : t.readers;
      // The second page's cursor: the first page's last alert, per reader.
      const cursors = new Map<string, { rank: number; id: string }>();
      if (v.secondPage) {
        for (const r of members) {
          await t.db.query(begin(r.member_id));
          const first = await t.db.query<{ id: string; priorityRank: number }>(
            pageQuery(t.st, { ...v, secondPage: false }, r.member_id, undefined)!,
          );
          await t.db.query('COMMIT');
          const last = first.rows[PAGE - 1];
          if (last) cursors.set(r.member_id, { rank: last.priorityRank, id: last.id });
        }
      }
      let next = 0;
      const run = async (n: number) => {
        let rows = 0;
        for (let i = 0; i < n; i++) {
          const member = members[next++ % members.length].member_id;
          if (v.secondPage && !cursors.has(member)) continue;
          await t.db.query(begin(member));
          if (!v.empty) rows += (await t.db.query(pageQuery(t.st, v, member, cursors.get(member))!)).rowCount ?? 0;
          await t.db.query('COMMIT');
        }
        return rows;
      };
      await run(CHUNK);
      runs.push({ t, run, ns: 0, rows: 0, chunks: [] as number[] });
    }
    for (let done = 0; done < pages; done += CHUNK) {
      for (const r of runs) {
        const before = cpuNs(r.t.pid);
        r.rows += await r.run(CHUNK);
        const ns = cpuNs(r.t.pid) - before;
        r.ns += ns;
        r.chunks.push(ns);
      }
    }
    // The median chunk too: a burst of the machine's other load moves the mean of a run more than its median.
    const figures = runs
      .map(
        (r) =>
          `${(r.ns / 1e6 / pages).toFixed(3)} ms, median ${(percentile(r.chunks, 50) / 1e6 / CHUNK).toFixed(3)} (${(r.rows / pages).toFixed(1)} rows)`,
      )
      .join('  |  ');
    console.log(`  ${v.label.padEnd(52)} ${figures}  load ${loadavg()}`);
  }
  for (const t of targets) await t.db.end();
}

function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

await main();
