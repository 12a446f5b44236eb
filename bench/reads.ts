import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type pg from 'pg';
import { alertsPage } from '@app/alerts';
import { namedQuery, type ParamsOf } from '@app/database';
import { open } from './database.js';
import { cpuPerItem, type CpuSnapshot } from './fleet.js';
import type { ServerContext } from './ingest.js';
import { BENCH_EPOCH, INDICATOR_TYPES } from './workload.js';

/** The first page of a member's alerts, as an integration polls it. */
export const ALERTS_PAGE = `query Alerts($first: Int) {
  alerts(first: $first) {
    edges { cursor node { id status version type keyEpoch token externalRef otherHolderCount firstSeenAt lastSeenAt
                          disclosedHolders verdictCounts { confirmedAbuse falsePositive underReview } verdict createdAt updatedAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const PAGE_SIZE = 20;

/**
 * Seconds of page requests before the first measurement. The reads follow
 * the ingest phases, whose garbage the API is still collecting and whose
 * code V8 is still recompiling for the new load: with 2 s, the first 5 s
 * measured cost 1.8-1.9 ms of API CPU per page and the next 5 s 1.2-1.4 ms
 * (docs/performance-history.md, "Reads, API side").
 */
const WARM_UP_SECONDS = 7;

/** The list with every argument the API offers, for the filtered and ordered variants. */
export const ALERTS_LIST = `query AlertsList($first: Int, $after: String, $filter: AlertFilter, $orderBy: AlertOrder) {
  alerts(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    edges { cursor node { id status version type keyEpoch token externalRef otherHolderCount firstSeenAt lastSeenAt
                          disclosedHolders verdictCounts { confirmedAbuse falsePositive underReview } verdict createdAt updatedAt
                          closeReason lastObservedOn priority } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** The same page in triage order (alerts(orderBy: PRIORITY)), with the fields that order adds. */
export const ALERTS_PRIORITY_PAGE = `query AlertsByPriority($first: Int) {
  alerts(first: $first, orderBy: PRIORITY) {
    edges { cursor node { id status version type keyEpoch token externalRef otherHolderCount firstSeenAt lastSeenAt
                          disclosedHolders verdictCounts { confirmedAbuse falsePositive underReview } verdict createdAt updatedAt
                          closeReason lastObservedOn priority } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/**
 * The baseline: the statement AlertsService.list runs for that page
 * (`alertsPage`, imported from the service's libs/federation/alerts/src/alerts.sql.ts,
 * so the two cannot drift apart), straight through pg: no HTTP, GraphQL,
 * token or transaction around it. Its parameters: no filter, one page.
 */
export const alertsPageParams = (memberId: string): ParamsOf<typeof alertsPage> => [memberId, null, null, null, PAGE_SIZE + 1];

/** Queries per second of the first `alerts` page. */
export interface ReadsResult {
  clients: number;
  seconds: number;
  server: { qps: number; p50Ms: number; p99Ms: number; requests: number; failed: number; cpuMsPerRequest: CpuSnapshot };
  baseline: { qps: number; requests: number };
  /**
   * The same clients asking the public `{ serverInfo { issuer } }` for the
   * same time: no token, no database, no Redis. What one GraphQL request
   * costs the HTTP and GraphQL stack alone, the ceiling of any query.
   */
  floor?: { qps: number; failed: number; cpuMsPerRequest: CpuSnapshot };
  /** The first page by priority (ALERTS_PRIORITY_PAGE), the same clients for the same time. */
  priority?: ReadRate;
  /** The list's filters and a second page (ALERTS_LIST), each the same clients for the same time. */
  variants?: (ReadRate & { label: string })[];
  /** Alerts each reading member holds when the phase starts (READ_HISTORY gives some of them a long history). */
  alertsPerMember?: number[];
}

/** One measured kind of request. */
export interface ReadRate {
  qps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  failed: number;
  cpuMsPerRequest: CpuSnapshot;
}

/**
 * Extra alerts the reading members (0..3) get before the first reads phase,
 * so that pages are read from a realistic spread of histories: one member
 * with tens of thousands of alerts, one with ten thousand, one with a few
 * thousand, and one with only what the ingest phases made (a few hundred).
 */
export const READ_HISTORY = [30_000, 10_000, 2_000, 0] as const;

/**
 * Gives the reading members READ_HISTORY's alerts, once per run (a run's
 * later levels keep them): each on a match of its own with one other holder
 * (a passive member, who gets its alert too and, for one in five, a
 * verdict), older than the ingest phases' alerts, 30% closed, spread over 40
 * priority ranks. The tokens are new (prefix 0x05) and have no indicator
 * rows, so no ingest phase can match them and the preload's row counts stay
 * as planned; alert_view_facts still probes the indicators index for each.
 * ANALYZE afterwards, as autovacuum would after such growth.
 */
export async function preloadReadHistory(db: pg.Client, readers: string[], others: string[]): Promise<void> {
  const first = createHash('sha256')
    .update(Buffer.from([5]))
    .update(Buffer.alloc(8))
    .digest();
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM matches WHERE token = $1`, [first]);
  if (rows[0].n > 0) return;
  let offset = 0;
  for (const [k, count] of READ_HISTORY.entries()) {
    if (count === 0) continue;
    const range = [offset, offset + count - 1, readers[k], others, INDICATOR_TYPES, BENCH_EPOCH];
    // t: the alert's time, a minute apart going back from a day ago.
    const series = `generate_series($1::bigint, $2::bigint) AS g,
         LATERAL (SELECT now() - interval '1 day' - (g - $1) * interval '1 minute' AS t) AS x`;
    await db.query(
      `INSERT INTO matches (id, type, key_epoch, token, status, holder_count, first_seen_at, last_seen_at, created_at, updated_at)
       SELECT md5('read-history-' || g)::uuid, ($5::"IndicatorType"[])[(g % 4 + 1)::int], $6, sha256('\\x05'::bytea || int8send(g)),
              CASE WHEN g % 10 < 7 THEN 'OPEN' ELSE 'CLOSED' END::"MatchStatus", 2, t - interval '1 day', t, t, t
         FROM ${series}
        WHERE $3::uuid IS NOT NULL AND cardinality($4::uuid[]) > 0`,
      range,
    );
    await db.query(
      `INSERT INTO alerts (match_id, member_id, status, other_holders, verdict, created_at, updated_at, closed_at, close_reason,
                           last_observed_on, priority_rank, match_kind)
       SELECT md5('read-history-' || g)::uuid, h.member_id, s.status, 1, h.verdict, t, t, s.closed, s.reason,
              t::date, (t::date - DATE '1970-01-01') + (g * 7919 % 40)::int - 20, 'EXACT'
         FROM ${series},
         LATERAL (SELECT CASE WHEN g % 10 < 7 THEN 'OPEN' ELSE 'CLOSED' END::"AlertStatus" AS status,
                         CASE WHEN g % 10 < 7 THEN NULL ELSE t END AS closed,
                         CASE WHEN g % 10 < 7 THEN NULL ELSE 'NOT_MATCHED' END::"AlertCloseReason" AS reason) AS s,
         LATERAL (VALUES ($3::uuid, NULL::"Verdict"),
                         (($4::uuid[])[(g % cardinality($4::uuid[]) + 1)::int],
                          (ARRAY['FALSE_POSITIVE', 'CONFIRMED_ABUSE', 'UNDER_REVIEW', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                                 NULL, NULL, NULL, NULL, NULL])[(g % 15 + 1)::int]::"Verdict")) AS h(member_id, verdict)
        WHERE $5::text[] IS NOT NULL AND $6::text IS NOT NULL`,
      range,
    );
    offset += count;
  }
  await db.query('ANALYZE alerts');
  await db.query('ANALYZE matches');
}

const FLOOR_QUERY = JSON.stringify({ query: '{ serverInfo { issuer } }' });

/** What each variant asks (ALERTS_LIST's variables besides `first` and `after`). */
const VARIANTS: { label: string; variables: Record<string, unknown>; secondPage?: boolean }[] = [
  { label: 'filter { status: OPEN }', variables: { filter: { status: 'OPEN' } } },
  { label: 'filter { type: IP_RANGE }', variables: { filter: { type: 'IP_RANGE' } } },
  { label: 'filter { since: an hour ago } (polling)', variables: { filter: { since: 'SINCE' } } },
  { label: 'orderBy: PRIORITY, filter { status: OPEN }', variables: { orderBy: 'PRIORITY', filter: { status: 'OPEN' } } },
  { label: "the second page (after: the first's endCursor)", variables: {}, secondPage: true },
  { label: 'orderBy: PRIORITY, the second page', variables: { orderBy: 'PRIORITY' }, secondPage: true },
];

/**
 * `clients` keep-alive connections (spread over the API processes) ask for
 * the first alerts page as fast as answers come back, each as one of the
 * submitting members in turn (two connections each); a response counts as
 * failed unless it is HTTP 200 with alerts data. A 2-second warm-up is not
 * counted. Then the same for the page by priority, each of VARIANTS, the
 * baseline statement and the public floor query.
 */
export async function measureReads(
  ctx: ServerContext,
  clients: number,
  seconds: number,
  options: { variants?: boolean } = {},
): Promise<ReadsResult> {
  const readers = ctx.members.slice(0, 4);
  await preloadReadHistory(
    ctx.db,
    readers.map((m) => m.id),
    ctx.members.slice(4).map((m) => m.id),
  );
  const { rows: held } = await ctx.db.query<{ n: number }>(
    `SELECT (SELECT count(*)::int FROM alerts WHERE member_id = r.id) AS n FROM unnest($1::uuid[]) WITH ORDINALITY AS r(id, k) ORDER BY k`,
    [readers.map((m) => m.id)],
  );
  const tokens = await Promise.all(readers.map((m) => m.tokens.get()));
  const url = `${ctx.fleet.apis[0].url}/graphql`;
  const ask = async (token: string, body: string) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    return { status: res.status, json: (await res.json()) as { data?: { alerts?: AlertsPage }; errors?: { message: string }[] } };
  };
  const body = JSON.stringify({ query: ALERTS_PAGE, variables: { first: PAGE_SIZE } });
  for (const token of tokens) {
    const { status, json } = await ask(token, body);
    if (!json.data?.alerts) throw new Error(`alerts query failed before the reads phase: ${json.errors?.[0]?.message ?? status}`);
    if (json.data.alerts.edges.length === 0)
      throw new Error('a submitting member has no alerts: the reads phase would measure empty pages');
  }

  let failed = 0;
  let next = 0;
  const run = (api: string, connections: number, duration: number, bodyOf: (reader: number) => string) =>
    autocannon({
      url: `${api}/graphql`,
      connections,
      duration,
      timeout: 10,
      requests: [
        {
          method: 'POST',
          setupRequest: (req, context) => {
            // Each connection keeps the member it was first given.
            context.reader ??= next++ % tokens.length;
            const reader = context.reader as number;
            return {
              ...req,
              headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[reader]}` },
              body: bodyOf(reader),
            };
          },
          onResponse: (status, text) => {
            if (status !== 200 || !text.startsWith('{"data":{"alerts":')) failed += 1;
          },
        },
      ],
    });
  const spread = (total: number) =>
    ctx.fleet.apis.map((_, i) => Math.floor(total / ctx.fleet.apis.length) + (i < total % ctx.fleet.apis.length ? 1 : 0));
  const measure = async (bodyOf: (reader: number) => string): Promise<ReadRate> => {
    failed = 0;
    next = 0;
    const cpuBefore = ctx.fleet.cpu();
    const results = await Promise.all(ctx.fleet.apis.map((api, i) => run(api.url, spread(clients)[i], seconds, bodyOf)));
    const requests = results.reduce((n, r) => n + r.requests.total, 0);
    return {
      qps: requests / seconds,
      // With one API process this is its latency; with more, the slowest's.
      p50Ms: Math.max(...results.map((r) => r.latency.p50)),
      p99Ms: Math.max(...results.map((r) => r.latency.p99)),
      requests,
      failed: failed + results.reduce((n, r) => n + r.errors + r.non2xx, 0),
      // Microseconds per item / 1000 = milliseconds per request.
      cpuMsPerRequest: cpuPerItem(cpuBefore, ctx.fleet.cpu(), requests * 1000),
    };
  };
  await Promise.all(ctx.fleet.apis.map((api, i) => run(api.url, spread(clients)[i], WARM_UP_SECONDS, () => body)));
  const server = await measure(() => body);
  const baseline = await baselineReads(ctx, clients, seconds);
  const priorityBody = JSON.stringify({ query: ALERTS_PRIORITY_PAGE, variables: { first: PAGE_SIZE } });
  const priority = await measure(() => priorityBody);

  const since = new Date(Date.now() - 3_600_000).toISOString();
  const variants: ReadsResult['variants'] = [];
  for (const v of options.variants === false ? [] : VARIANTS) {
    const variables = JSON.parse(JSON.stringify(v.variables).replace('"SINCE"', JSON.stringify(since))) as Record<string, unknown>;
    let bodies = tokens.map(() => JSON.stringify({ query: ALERTS_LIST, variables: { ...variables, first: PAGE_SIZE } }));
    if (v.secondPage) {
      bodies = await Promise.all(
        tokens.map(async (token, k) => {
          const { json } = await ask(token, bodies[k]);
          const after = json.data?.alerts?.pageInfo.endCursor;
          if (!after) throw new Error(`${v.label}: the first page of member ${k} has no end cursor`);
          return JSON.stringify({ query: ALERTS_LIST, variables: { ...variables, first: PAGE_SIZE, after } });
        }),
      );
    }
    variants.push({ label: v.label, ...(await measure((reader) => bodies[reader])) });
  }

  let floorFailed = 0;
  const floorRun = (api: string, connections: number) =>
    autocannon({
      url: `${api}/graphql`,
      connections,
      duration: seconds,
      timeout: 10,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: FLOOR_QUERY,
          onResponse: (status, text) => {
            if (status !== 200 || !text.startsWith('{"data":{"serverInfo":')) floorFailed += 1;
          },
        },
      ],
    });
  const floorCpu = ctx.fleet.cpu();
  const floorResults = await Promise.all(ctx.fleet.apis.map((api, i) => floorRun(api.url, spread(clients)[i])));
  const floorRequests = floorResults.reduce((n, r) => n + r.requests.total, 0);
  const floor = {
    qps: floorRequests / seconds,
    failed: floorFailed + floorResults.reduce((n, r) => n + r.errors + r.non2xx, 0),
    cpuMsPerRequest: cpuPerItem(floorCpu, ctx.fleet.cpu(), floorRequests * 1000),
  };
  return { clients, seconds, server, baseline, floor, priority, variants, alertsPerMember: held.map((r) => r.n) };
}

interface AlertsPage {
  edges: unknown[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** The same page, as plain SQL from `clients` pg connections, for the same time. */
async function baselineReads(ctx: ServerContext, clients: number, seconds: number): Promise<ReadsResult['baseline']> {
  const ids = ctx.members.slice(0, 4).map((m) => m.id);
  const conns = await Promise.all(Array.from({ length: clients }, () => open(ctx.fleet.env.DATABASE_URL)));
  try {
    let requests = 0;
    const end = performance.now() + seconds * 1000;
    await Promise.all(
      conns.map(async (c, i) => {
        const memberId = ids[i % ids.length];
        // alert_view_facts answers for the member the session is scoped to, as sqlAsMember's transaction is.
        await c.query(`SELECT set_config('sigfed.member_id', $1, false)`, [memberId]);
        // The plan settings sqlAsMember's list pages run with (indexOrder), for the session here.
        await c.query('SET plan_cache_mode = force_generic_plan; SET enable_bitmapscan = off');
        const page = namedQuery(alertsPage, alertsPageParams(memberId));
        while (performance.now() < end) {
          await c.query(page);
          requests += 1;
        }
      }),
    );
    return { qps: requests / seconds, requests };
  } finally {
    await Promise.all(conns.map((c) => c.end()));
  }
}
