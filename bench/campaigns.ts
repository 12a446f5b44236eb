import { createHash, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { INSERT_BUNDLE_TOKENS, UPSERT_BUNDLES } from '../libs/federation/campaigns/src/campaigns.sql.js';
import { cpuPerItem } from './fleet.js';
import { dataOf, gql, postJson } from './http.js';
import type { ServerContext } from './ingest.js';
import { startLoopbackReceiver } from './latency.js';
import { fmt, percentiles, sizeLabel, sleep, type Percentiles } from './stats.js';
import { BENCH_EPOCH } from './workload.js';

/** Tokens per bundle, as the issue's scale target says (about 8). */
const TOKENS = 8;
/** Bundles per submitBundles call in the rate phase. */
const PER_REQUEST = 100;
const SUBMITTERS = 4;
/** Share of bundles that share a token with another member's. */
const SHARED = 0.1;
/** Preload chunk: bundles per INSERT. */
const CHUNK = 50_000;
/** Offered load of the latency phase: bundles per second, as batches of LATENCY_BATCH every 1000 * LATENCY_BATCH / rate ms. */
const LATENCY_RATE = 100;
const LATENCY_BATCH = 10;

/** What the campaign phase measured at one stored size. */
export interface CampaignLevel {
  stored: number;
  bundles: number;
  serverRate: number;
  baselineRate: number;
  ratio: number;
  /** From the first request to the linker's last commit. */
  linkedSeconds: number;
  /** Worker and Postgres CPU per submitted bundle, submission and linking together (microseconds). */
  cpuUsPerBundle: { api: number; worker: number; postgres: number };
}

export interface CampaignBenchResult {
  levels: CampaignLevel[];
  /** Worker CPU per bundle at the largest size over the smallest (flat: 1). */
  linkCostRatio: number;
  latency?: { stored: number; offeredPerSecond: number; batches: number; ms: Percentiles; missing: number; refused: number };
  note: string;
}

const SUBMIT = `mutation Bundles($input: SubmitBundlesInput!) { submitBundles(input: $input) { submissionId accepted duplicates } }`;

const hex = (label: string) => createHash('sha256').update(label).digest('hex');
/** The token two preloaded bundles of different members share (pair k), which their indicators make a match. */
const sharedToken = (k: number) => hex(`campaign-bench-shared:${k}`);

/** The stored bundles: `from`..`to` (exclusive), 8 tokens each, every tenth pair sharing one across two members. */
async function preload(db: pg.Client, memberIds: string[], from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += CHUNK) {
    const end = Math.min(start + CHUNK, to) - 1;
    const params = [start, end, memberIds, BENCH_EPOCH];
    await db.query(
      `INSERT INTO bundles (id, member_id, submission_id, bundle_ref, observed_at)
       SELECT md5('bench-bundle:' || g)::uuid, ($3::uuid[])[1 + g % cardinality($3::uuid[])], '00000000-0000-0000-0000-000000000000',
              'pre-' || g, now() - interval '1 day'
         FROM generate_series($1::int, $2::int) g`,
      params.slice(0, 3),
    );
    await db.query(
      `INSERT INTO bundle_tokens (bundle_id, member_id, type, key_epoch, token, expires_at)
       SELECT md5('bench-bundle:' || g)::uuid, ($3::uuid[])[1 + g % cardinality($3::uuid[])], 'ACCOUNT_SIGNAL', $4,
              CASE WHEN t = 0 AND g % 10 < 2 THEN sha256(convert_to('campaign-bench-shared:' || (g / 10), 'UTF8'))
                   ELSE sha256(convert_to('campaign-bench:' || g || ':' || t, 'UTF8')) END,
              now() + interval '180 days'
         FROM generate_series($1::int, $2::int) g, generate_series(0, ${TOKENS - 1}) t`,
      params,
    );
    // The shared tokens are the two members' indicators too: a match, hence linking tokens.
    await db.query(
      `WITH ks AS (
         INSERT INTO key_spaces (type, key_epoch) VALUES ('ACCOUNT_SIGNAL', $4)
         ON CONFLICT (type, key_epoch) DO UPDATE SET type = EXCLUDED.type RETURNING id
       ), mn AS (SELECT array_agg(m.member_no ORDER BY u.n) AS nos FROM unnest($3::uuid[]) WITH ORDINALITY AS u(id, n) JOIN members m ON m.id = u.id)
       INSERT INTO indicators (key_space, token, member_no, confidence, observed_at, expires_at, submission_id)
       SELECT ks.id, sha256(convert_to('campaign-bench-shared:' || (g / 10), 'UTF8')),
              mn.nos[1 + g % cardinality($3::uuid[])], 50, now(), now() + interval '180 days', '00000000-0000-0000-0000-000000000000'
         FROM generate_series($1::int, $2::int) g, ks, mn WHERE g % 10 < 2
       ON CONFLICT DO NOTHING`,
      params,
    );
  }
  await db.query('VACUUM (ANALYZE) bundles, bundle_tokens, indicators');
}

interface Batch {
  member: number;
  bundles: { bundleRef: string; observedAt: string; indicators: { type: string; keyEpoch: string; token: string }[] }[];
}

/** Batches of new bundles; SHARED of them carry a preloaded pair's token (pairs from `pairFrom` on, each used once). */
function batches(label: string, count: number, members: number, pairFrom: number): { list: Batch[]; pairsUsed: number } {
  const list: Batch[] = [];
  let pair = pairFrom;
  const observedAt = new Date().toISOString();
  for (let b = 0; b < count; b++) {
    const bundles: Batch['bundles'] = [];
    for (let i = 0; i < PER_REQUEST; i++) {
      const ref = `${label}-${b}-${i}`;
      const indicators = Array.from({ length: TOKENS }, (_, t) => ({
        type: 'ACCOUNT_SIGNAL',
        keyEpoch: BENCH_EPOCH,
        token: hex(`${ref}:${t}`),
      }));
      if (i < PER_REQUEST * SHARED) indicators[0].token = sharedToken(pair++);
      bundles.push({ bundleRef: ref, observedAt, indicators });
    }
    list.push({ member: b % members, bundles });
  }
  return { list, pairsUsed: pair - pairFrom };
}

/** Waits until the linker has drained its queue and every outbox event is handled. */
async function linked(db: pg.Client, timeoutMs = 30 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query<{ q: number; o: number }>(
      `SELECT (SELECT count(*)::int FROM campaign_link_queue) AS q,
              (SELECT count(*)::int FROM outbox_events WHERE processed_at IS NULL) AS o`,
    );
    if (rows[0].q === 0 && rows[0].o === 0) return;
    if (Date.now() > deadline) throw new Error(`linking did not finish within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/**
 * The same inserts as submitBundles makes, as plain SQL on one connection
 * per submitter: the service's own bundle statements (UPSERT_BUNDLES,
 * INSERT_BUNDLE_TOKENS) and the indicators upsert, one transaction per
 * batch. What it leaves out is the server's own work: HTTP, GraphQL,
 * validation, the idempotency claim, quotas, the link queue and the outbox.
 */
async function baseline(url: string, memberIds: string[], list: Batch[]): Promise<number> {
  const clients = await Promise.all(
    Array.from({ length: SUBMITTERS }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  const started = performance.now();
  let next = 0;
  await Promise.all(
    clients.map(async (c) => {
      while (next < list.length) {
        const batch = list[next++];
        const member = memberIds[batch.member];
        const submission = randomUUID();
        await c.query('BEGIN');
        const stored = await c.query<{ id: string; bundleRef: string }>(UPSERT_BUNDLES.text, [
          member,
          submission,
          batch.bundles.map((b) => `base-${b.bundleRef}`),
          batch.bundles.map((b) => b.observedAt),
        ]);
        const ids = new Map(stored.rows.map((r) => [r.bundleRef, r.id]));
        const rows = batch.bundles.flatMap((b) => b.indicators.map((i) => ({ id: ids.get(`base-${b.bundleRef}`)!, ...i })));
        const expires = new Date(Date.now() + 180 * 86_400_000);
        await c.query(INSERT_BUNDLE_TOKENS.text, [
          member,
          rows.map((r) => r.id),
          rows.map((r) => r.type),
          rows.map((r) => r.keyEpoch),
          rows.map((r) => r.token),
          rows.map(() => expires),
        ]);
        const distinct = [...new Set(rows.map((r) => r.token))];
        await c.query(
          `INSERT INTO indicators AS i (key_space, token, member_no, confidence, observed_at, expires_at, submission_id)
           SELECT (SELECT id FROM key_spaces WHERE type = 'ACCOUNT_SIGNAL' AND key_epoch = $2),
                  decode(t, 'hex'), (SELECT member_no FROM members WHERE id = $1::uuid), 50, now(), $3, $4::uuid
             FROM unnest($5::text[]) AS u(t)
           ON CONFLICT (key_space, token, member_no) DO UPDATE SET last_seen_at = now(), expires_at = EXCLUDED.expires_at`,
          [member, BENCH_EPOCH, expires, submission, distinct],
        );
        await c.query('COMMIT');
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(clients.map((c) => c.end()));
  return (list.length * PER_REQUEST) / seconds;
}

/** A loopback receiver that records when each campaign.created webhook names one of the member's bundles. */
class CampaignReceiver {
  readonly arrivals = new Map<string, number>();
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}
  static async start(): Promise<CampaignReceiver> {
    const { server, url } = await startLoopbackReceiver((raw, at) => {
      const body = raw as { type?: string; data?: { ownBundles?: { bundleRef: string }[] } } | undefined;
      if (body?.type !== 'campaign.created') return;
      for (const b of body.data?.ownBundles ?? []) if (!receiver.arrivals.has(b.bundleRef)) receiver.arrivals.set(b.bundleRef, at);
    });
    const receiver = new CampaignReceiver(server, url);
    return receiver;
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/**
 * The campaign phase: bundles stored at two sizes (quick: 10k and 100k;
 * full: 100k and 1M), then at each size the submission rate through the API
 * against the same inserts in SQL, the CPU per bundle of submitting and
 * linking them (the linking cost), and at the largest size the link latency
 * from a bundle's commit to its campaign's webhook at 100 bundles/s offered.
 */
export async function measureCampaigns(ctx: ServerContext, url: string, quick: boolean): Promise<CampaignBenchResult> {
  const { fleet, members, db } = ctx;
  const sizes = quick ? [10_000, 100_000] : [100_000, 1_000_000];
  const requests = quick ? 20 : 40;
  const submitters = members.slice(0, SUBMITTERS);
  const memberIds = members.map((m) => m.id);
  const levels: CampaignLevel[] = [];
  let stored = 0;
  let latency: CampaignBenchResult['latency'];

  for (const size of sizes) {
    const before = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM bundles')).rows[0].n;
    const pairFrom = Math.ceil(stored / 10);
    const started0 = performance.now();
    await preload(db, memberIds, stored, stored + Math.max(size - before, 0));
    stored += Math.max(size - before, 0);
    console.log(
      `  campaigns ${sizeLabel(size)}: preloaded to ${fmt(size)} bundles x ${TOKENS} tokens in ${fmt((performance.now() - started0) / 1000, 1)} s`,
    );

    // Each batch's shared bundles join pairs stored at this size, each pair once.
    const work = batches(`bench-${size}`, requests, SUBMITTERS, pairFrom);
    const bodies = work.list.map((b) =>
      JSON.stringify({ query: SUBMIT, variables: { input: { idempotencyKey: randomUUID(), bundles: b.bundles } } }),
    );
    const cpuBefore = fleet.cpu();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      submitters.map(async () => {
        while (next < work.list.length) {
          const i = next++;
          const member = submitters[work.list[i].member];
          dataOf('submitBundles', await postJson(`${fleet.apis[i % fleet.apis.length].url}/graphql`, bodies[i], await member.tokens.get()));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await linked(db);
    const linkedSeconds = (performance.now() - started) / 1000;
    const bundles = requests * PER_REQUEST;
    const cpu = cpuPerItem(cpuBefore, fleet.cpu(), bundles);
    const baselineRate = await baseline(url, memberIds, batches(`base-${size}`, requests, SUBMITTERS, 0).list);
    const serverRate = bundles / seconds;
    const level: CampaignLevel = {
      stored: size,
      bundles,
      serverRate,
      baselineRate,
      ratio: serverRate / baselineRate,
      linkedSeconds,
      cpuUsPerBundle: cpu,
    };
    levels.push(level);
    console.log(
      `    submitBundles ${fmt(bundles)} bundles in ${fmt(seconds, 2)} s = ${fmt(serverRate)}/s; baseline ${fmt(baselineRate)}/s (ratio ${fmt(level.ratio, 2)}); ` +
        `linked by ${fmt(linkedSeconds, 2)} s; CPU/bundle: API ${fmt(cpu.api)} us, worker ${fmt(cpu.worker)} us, Postgres ${fmt(cpu.postgres)} us`,
    );
  }

  // Link latency at the largest size: LATENCY_RATE bundles/s offered; one bundle per batch joins a stored pair.
  const receiver = await CampaignReceiver.start();
  try {
    // Members that took no part above, in turn, each with an endpoint on the receiver.
    const senders = members.slice(SUBMITTERS);
    const tokens: string[] = [];
    for (const member of senders) {
      const token = await member.tokens.get();
      tokens.push(token);
      dataOf(
        'createWebhookEndpoint',
        await gql(
          fleet.apis[0].url,
          `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }`,
          { input: { url: `${receiver.url}/campaigns`, eventTypes: ['campaign.created'] } },
          token,
        ),
      );
    }
    const count = quick ? 50 : 300;
    const intervalMs = (1000 * LATENCY_BATCH) / LATENCY_RATE;
    const sentAt = new Map<string, number>();
    const observedAt = new Date().toISOString();
    const inflight: Promise<void>[] = [];
    const refused: string[] = [];
    // Pairs near the end of the largest preload, which no other phase touched.
    const firstPair = Math.floor(stored / 10) - count - 1;
    const t0 = performance.now();
    for (let b = 0; b < count; b++) {
      const bundles = Array.from({ length: LATENCY_BATCH }, (_, i) => {
        const ref = `lat-${b}-${i}`;
        const indicators = Array.from({ length: TOKENS }, (_, t) => ({
          type: 'ACCOUNT_SIGNAL',
          keyEpoch: BENCH_EPOCH,
          token: hex(`${ref}:${t}`),
        }));
        if (i === 0) indicators[0].token = sharedToken(firstPair + b);
        return { bundleRef: ref, observedAt, indicators };
      });
      const wait = t0 + b * intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      inflight.push(
        gql(fleet.apis[b % fleet.apis.length].url, SUBMIT, { input: { idempotencyKey: randomUUID(), bundles } }, tokens[b % tokens.length])
          .then((answer) => {
            dataOf('submitBundles', answer);
            sentAt.set(`lat-${b}-0`, performance.now());
          })
          // A refused call is counted as missing, not fatal.
          .catch((error: Error) => void refused.push(error.message)),
      );
    }
    await Promise.all(inflight);
    // Wait for the accepted calls' own bundles: arrivals also names the stored pairs' bundles of senders that own them.
    const deadline = performance.now() + 60_000;
    const waiting = () => [...sentAt.keys()].some((ref) => !receiver.arrivals.has(ref));
    while (waiting() && performance.now() < deadline) await sleep(25);
    const samples = [...sentAt].filter(([ref]) => receiver.arrivals.has(ref)).map(([ref, at]) => receiver.arrivals.get(ref)! - at);
    latency = {
      stored: sizes.at(-1)!,
      offeredPerSecond: LATENCY_RATE,
      batches: count,
      ms: percentiles(samples),
      // Accepted calls whose campaign.created never came; refused calls (budgets, concurrency) are counted apart.
      missing: sentAt.size - samples.length,
      refused: refused.length,
    };
    console.log(
      `    link latency (commit -> campaign.created webhook) at ${LATENCY_RATE} bundles/s: p50 ${fmt(latency.ms.p50)} ms, p99 ${fmt(latency.ms.p99)} ms ` +
        `over ${fmt(samples.length)} campaigns${latency.missing ? ` (${latency.missing} missing)` : ''}` +
        `${latency.refused ? `; ${latency.refused} calls refused (${[...new Set(refused.map((r) => r.slice(0, 80)))].join(' | ')})` : ''}`,
    );
    if (refused.length) console.log(`    ${refused.length} call(s) refused, first: ${refused[0]}`);
  } finally {
    await receiver.close();
  }

  const [small, large] = [levels[0], levels.at(-1)!];
  const linkCostRatio = large.cpuUsPerBundle.worker / small.cpuUsPerBundle.worker;
  return {
    levels,
    linkCostRatio,
    latency,
    note: quick
      ? `quick mode: stored sizes ${sizes.map(sizeLabel).join(' and ')} (the issue's targets are at 100k and 1M: run without --quick)`
      : `stored sizes ${sizes.map(sizeLabel).join(' and ')}`,
  };
}
