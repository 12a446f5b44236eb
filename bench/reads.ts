import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { alertsPage } from '@app/alerts';
import { namedQuery, type ParamsOf } from '@app/database';
import { open } from './database.js';
import { cpuPerItem, type CpuSnapshot } from './fleet.js';
import type { ServerContext } from './ingest.js';

/** The first page of a member's alerts, as an integration polls it. */
export const ALERTS_PAGE = `query Alerts($first: Int) {
  alerts(first: $first) {
    edges { cursor node { id status version type keyEpoch token externalRef otherHolderCount firstSeenAt lastSeenAt
                          disclosedHolders verdictCounts { confirmedAbuse falsePositive underReview } verdict createdAt updatedAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const PAGE_SIZE = 20;

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
 * (`alertsPage`, imported from the service's libs/alerts/src/alerts.sql.ts,
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
  priority?: { qps: number; p50Ms: number; p99Ms: number; requests: number; failed: number; cpuMsPerRequest: CpuSnapshot };
}

const FLOOR_QUERY = JSON.stringify({ query: '{ serverInfo { issuer } }' });

/**
 * `clients` keep-alive connections (spread over the API processes) ask for
 * the first alerts page as fast as answers come back, each as one of the
 * submitting members in turn; a response counts as failed unless it is
 * HTTP 200 with alerts data. A 2-second warm-up is not counted.
 */
export async function measureReads(ctx: ServerContext, clients: number, seconds: number): Promise<ReadsResult> {
  const tokens = await Promise.all(ctx.members.slice(0, 4).map((m) => m.tokens.get()));
  const body = JSON.stringify({ query: ALERTS_PAGE, variables: { first: PAGE_SIZE } });
  for (const token of tokens) {
    const res = await fetch(`${ctx.fleet.apis[0].url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    const json = (await res.json()) as { data?: { alerts?: { edges: unknown[] } }; errors?: { message: string }[] };
    if (!json.data?.alerts) throw new Error(`alerts query failed before the reads phase: ${json.errors?.[0]?.message ?? res.status}`);
    if (json.data.alerts.edges.length === 0)
      throw new Error('a submitting member has no alerts: the reads phase would measure empty pages');
  }

  let failed = 0;
  let next = 0;
  const run = (url: string, connections: number, duration: number, pageBody = body) =>
    autocannon({
      url: `${url}/graphql`,
      connections,
      duration,
      timeout: 10,
      requests: [
        {
          method: 'POST',
          setupRequest: (req, context) => {
            // Each connection keeps the member it was first given.
            context.token ??= tokens[next++ % tokens.length];
            return {
              ...req,
              headers: { 'content-type': 'application/json', authorization: `Bearer ${context.token as string}` },
              body: pageBody,
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
  await Promise.all(ctx.fleet.apis.map((api, i) => run(api.url, spread(clients)[i], 2)));
  failed = 0;
  const cpuBefore = ctx.fleet.cpu();
  const results = await Promise.all(ctx.fleet.apis.map((api, i) => run(api.url, spread(clients)[i], seconds)));
  const requests = results.reduce((n, r) => n + r.requests.total, 0);
  // Microseconds per item / 1000 = milliseconds per request.
  const perRequest = cpuPerItem(cpuBefore, ctx.fleet.cpu(), requests * 1000);
  const server = {
    qps: requests / seconds,
    // With one API process this is its latency; with more, the slowest's.
    p50Ms: Math.max(...results.map((r) => r.latency.p50)),
    p99Ms: Math.max(...results.map((r) => r.latency.p99)),
    requests,
    failed: failed + results.reduce((n, r) => n + r.errors + r.non2xx, 0),
    cpuMsPerRequest: perRequest,
  };
  const baseline = await baselineReads(ctx, clients, seconds);

  const priorityBody = JSON.stringify({ query: ALERTS_PRIORITY_PAGE, variables: { first: PAGE_SIZE } });
  failed = 0;
  const priorityCpu = ctx.fleet.cpu();
  const byPriority = await Promise.all(ctx.fleet.apis.map((api, i) => run(api.url, spread(clients)[i], seconds, priorityBody)));
  const priorityRequests = byPriority.reduce((n, r) => n + r.requests.total, 0);
  const priority = {
    qps: priorityRequests / seconds,
    p50Ms: Math.max(...byPriority.map((r) => r.latency.p50)),
    p99Ms: Math.max(...byPriority.map((r) => r.latency.p99)),
    requests: priorityRequests,
    failed: failed + byPriority.reduce((n, r) => n + r.errors + r.non2xx, 0),
    cpuMsPerRequest: cpuPerItem(priorityCpu, ctx.fleet.cpu(), priorityRequests * 1000),
  };

  let floorFailed = 0;
  const floorRun = (url: string, connections: number) =>
    autocannon({
      url: `${url}/graphql`,
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
  return { clients, seconds, server, baseline, floor, priority };
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
