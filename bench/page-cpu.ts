/**
 * PostgreSQL CPU per alerts page, measured on one connection as the API's
 * role: each page in the transaction `sqlAsMember(..., { readOnly: true,
 * indexOrder: true })` opens (its `BEGIN` string copied here), the page
 * statement prepared under its name, `COMMIT`; the backend's CPU time read
 * from `/proc/<pid>/schedstat` (nanoseconds on CPU) before and after each
 * variant. The machine's other load disturbs this far less than the bench's
 * rates. Needs a kept bench database (`npm run bench -- --quick --phases reads
 * --keep --database-url ...`) on this machine.
 *
 *   node dist/bench/page-cpu.js --database-url postgresql://postgres@127.0.0.1:5432/sigfed_bench_x [--pages 1000]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import {
  alertsPage,
  alertsPageAfter,
  alertsPageByPriority,
  alertsPageByPriorityAfter,
  alertsPageOfType,
  alertsPageOfTypeAfter,
  alertsPageOfTypeByPriority,
  alertsPageOfTypeByPriorityAfter,
} from '@app/alerts';
import { namedQuery, type AlertStatus, type IndicatorType } from '@app/database';
import { open } from './database.js';

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
}

const VARIANTS: Variant[] = [
  { label: 'transaction only (BEGIN ...; COMMIT)', empty: true },
  { label: 'first page (NEWEST)' },
  { label: 'PRIORITY', priority: true },
  { label: 'filter { status: OPEN }', filters: { status: 'OPEN' } },
  { label: 'filter { type: IP_RANGE }', filters: { type: 'IP_RANGE' } },
  { label: 'PRIORITY, filter { type: IP_RANGE }', priority: true, filters: { type: 'IP_RANGE' } },
  { label: 'filter { type: IP_RANGE }, passive holders', filters: { type: 'IP_RANGE' }, passive: true },
  { label: 'filter { since: an hour ago }', filters: { since: new Date(Date.now() - 3_600_000) } },
  { label: 'PRIORITY, filter { status: OPEN }', priority: true, filters: { status: 'OPEN' } },
  { label: 'second page', secondPage: true },
  { label: 'PRIORITY, second page', priority: true, secondPage: true },
];

const begin = (memberId: string) =>
  `BEGIN READ ONLY; SET LOCAL statement_timeout = 30000; SET LOCAL plan_cache_mode = force_generic_plan; ` +
  `SET LOCAL enable_bitmapscan = off; SELECT set_config('sigfed.member_id', '${memberId}', true)`;

function cpuNs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
}

function apiUrl(url: string): string {
  const u = new URL(url);
  u.username = 'sigfed_api';
  u.password = '';
  return u.toString();
}

/** The page's query for `member`, and its second page's cursor once the first was read. */
function pageQuery(v: Variant, member: string, cursor: { rank: number; id: string } | undefined): pg.QueryConfig<unknown[]> | null {
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

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'database-url': { type: 'string' }, pages: { type: 'string', default: '1000' } } });
  const url = values['database-url'];
  if (!url) throw new Error('--database-url is required');
  const pages = Number(values.pages);
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
  console.log(
    `readers holding ${readers.map((r) => r.n).join(' / ')} alerts, passive holders ${passive.map((r) => r.n).join(' / ')}; ` +
      `${pages} pages per variant; load ${loadavg()}`,
  );
  const db = await open(apiUrl(url));
  const pid = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const results: { label: string; msPerPage: number; rows: number }[] = [];
  for (const v of VARIANTS) {
    const members = v.passive ? passive : readers;
    // The second page's cursor: the first page's last alert, per reader.
    const cursors = new Map<string, { rank: number; id: string }>();
    if (v.secondPage) {
      for (const r of members) {
        await db.query(begin(r.member_id));
        const first = await db.query<{ id: string; priorityRank: number }>(pageQuery({ ...v, secondPage: false }, r.member_id, undefined)!);
        await db.query('COMMIT');
        const last = first.rows[PAGE - 1];
        if (last) cursors.set(r.member_id, { rank: last.priorityRank, id: last.id });
      }
    }
    const run = async (n: number) => {
      let rows = 0;
      for (let i = 0; i < n; i++) {
        const member = members[i % members.length].member_id;
        if (v.secondPage && !cursors.has(member)) continue;
        await db.query(begin(member));
        if (!v.empty) rows += (await db.query(pageQuery(v, member, cursors.get(member))!)).rowCount ?? 0;
        await db.query('COMMIT');
      }
      return rows;
    };
    await run(Math.min(100, pages));
    const before = cpuNs(pid);
    const rows = await run(pages);
    const ms = (cpuNs(pid) - before) / 1e6 / pages;
    results.push({ label: v.label, msPerPage: ms, rows: rows / pages });
    console.log(`  ${v.label.padEnd(48)} ${ms.toFixed(3)} ms per page (${(rows / pages).toFixed(1)} rows)  load ${loadavg()}`);
  }
  await db.end();
}

function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

await main();
