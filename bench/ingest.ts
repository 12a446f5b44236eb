import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { databaseName } from '@app/database';
import { INDICATOR_UPSERT_CONFLICT, KEY_SPACES_CTE } from '@app/indicators';
import { BASELINE_SCHEMA, correlationState, open, pendingEvents } from './database.js';
import { cpuPerItem, postgresCpu, postgresCpuBetween, type CpuSnapshot, type Fleet } from './fleet.js';
import { postJson } from './http.js';
import type { BenchMember } from './members.js';
import { percentiles, sleep, type Percentiles } from './stats.js';
import { BENCH_EPOCH, DEFAULT_TTL_DAYS, submitVariables, type Batch, type Expected, type Workload } from './workload.js';

/** How one ingest phase went. */
export interface IngestResult {
  label: string;
  batchSize: number;
  items: number;
  /** From the first request (or statement) to the last alert written (or statement done). */
  seconds: number;
  /** Indicators per second over `seconds`. */
  rate: number;
  /** When the last request was answered, from the start; the rest is correlation catching up. */
  requestsSeconds: number;
  /** Time of one request (or statement), per batch. */
  perBatchMs: Percentiles;
  expected: Expected;
  observed: { accepted: number; duplicates: number; alerts: number; matches: number };
  correct: boolean;
  /**
   * CPU microseconds per indicator, by role (the baseline has only
   * postgres). Less disturbed than the rate by other load on the machine.
   */
  cpuUsPerItem: CpuSnapshot;
}

const SUBMIT = `mutation Submit($input: SubmitIndicatorsInput!) {
  submitIndicators(input: $input) { submissionId accepted duplicates }
}`;

type SubmitData = { submitIndicators: { submissionId: string; accepted: number; duplicates: number } };

/** Everything a phase needs about the system under test. */
export interface ServerContext {
  fleet: Fleet;
  members: BenchMember[];
  db: pg.Client;
}

/** Bounds the wait for correlation to catch up after the last request. */
const CORRELATION_TIMEOUT_MS = 15 * 60_000;

/**
 * Waits until the outbox is drained and `alerts` alert rows exist; also
 * returns when the outbox has been drained for 10 s with fewer (the
 * correctness check then reports the shortfall). Polls every 25 ms, so the
 * end of a phase is seen at most that late.
 */
export async function awaitCorrelation(db: pg.Client, alerts: number, label: string): Promise<void> {
  const deadline = Date.now() + CORRELATION_TIMEOUT_MS;
  let drainedSince: number | undefined;
  for (;;) {
    const pending = await pendingEvents(db);
    // Counting alerts costs more than the outbox read: only once the outbox is drained.
    const state = pending === 0 ? await correlationState(db) : undefined;
    if (state && state.alerts >= alerts) return;
    drainedSince = state ? (drainedSince ?? Date.now()) : undefined;
    if (drainedSince !== undefined && Date.now() - drainedSince > 10_000) return;
    if (Date.now() > deadline) {
      throw new Error(`correlation of ${label} did not finish in ${CORRELATION_TIMEOUT_MS / 60_000} min: ${pending} outbox events pending`);
    }
    await sleep(25);
  }
}

/**
 * Submits every batch through the real HTTP GraphQL endpoint, the submitters
 * concurrently (each one request at a time, spread over the API processes),
 * then waits until every expected alert row exists and the outbox is drained.
 * `onSubmitted` sees each answer's arrival time (the latency phase uses it).
 */
export async function serverIngest(
  ctx: ServerContext,
  workload: Workload,
  options: {
    sampleRss?: boolean;
    schedule?: (member: number, batch: number) => number;
    onAnswered?: (batch: Batch, at: number) => void;
  } = {},
): Promise<IngestResult> {
  const { fleet, members, db } = ctx;
  // Bodies and tokens are ready before the clock starts: the client's own work is not measured.
  const bodies = workload.batches.map((own) => own.map((batch) => JSON.stringify({ query: SUBMIT, variables: submitVariables(batch) })));
  const tokens = await Promise.all(workload.batches.map((_, m) => members[m].tokens.get()));
  const before = await correlationState(db);
  const perBatch: number[] = [];
  const totals = { accepted: 0, duplicates: 0 };
  const sampler = options.sampleRss ? setInterval(() => fleet.sampleRss(), 50) : undefined;

  const cpuBefore = fleet.cpu();
  const start = performance.now();
  let lastAnswer = start;
  try {
    await Promise.all(
      workload.batches.map(async (own, m) => {
        const api = fleet.apis[m % fleet.apis.length].url;
        for (let b = 0; b < own.length; b++) {
          const due = options.schedule?.(m, b);
          if (due !== undefined) {
            const wait = start + due - performance.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          }
          const sent = performance.now();
          const answer = await postJson<SubmitData>(`${api}/graphql`, bodies[m][b], tokens[m]);
          const at = performance.now();
          if (answer.errors?.length || !answer.data) {
            const first = answer.errors?.[0];
            throw new Error(
              `submitIndicators (${workload.label}, member ${m}, batch ${b}) failed: HTTP ${answer.status} ${first?.extensions?.code ?? ''} ${first?.message ?? ''}`,
            );
          }
          perBatch.push(at - sent);
          lastAnswer = Math.max(lastAnswer, at);
          totals.accepted += answer.data.submitIndicators.accepted;
          totals.duplicates += answer.data.submitIndicators.duplicates;
          options.onAnswered?.(own[b], at);
        }
      }),
    );
    await awaitCorrelation(db, before.alerts + workload.expected.alerts, workload.label);
    const end = performance.now();
    const cpu = cpuPerItem(cpuBefore, fleet.cpu(), workload.expected.items);
    const after = await correlationState(db);
    const observed = { ...totals, alerts: after.alerts - before.alerts, matches: after.matches - before.matches };
    const e = workload.expected;
    return {
      label: workload.label,
      batchSize: workload.batchSize,
      items: e.items,
      seconds: (end - start) / 1000,
      rate: e.items / ((end - start) / 1000),
      requestsSeconds: (lastAnswer - start) / 1000,
      perBatchMs: percentiles(perBatch),
      expected: e,
      observed,
      correct:
        observed.accepted === e.accepted &&
        observed.duplicates === e.duplicates &&
        observed.alerts === e.alerts &&
        observed.matches === e.matches,
      cpuUsPerItem: cpu,
    };
  } finally {
    if (sampler) clearInterval(sampler);
  }
}

const BASELINE_INPUT = `input AS (
  SELECT type, key_epoch, decode(token_hex, 'hex') AS token, observed_at, expires_at, confidence, external_ref, disclose_identity
    FROM unnest($1::"IndicatorType"[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::int[], $7::text[], $8::boolean[])
      AS t(type, key_epoch, token_hex, observed_at, expires_at, confidence, external_ref, disclose_identity)
), ${KEY_SPACES_CTE}`;

const baselineUpsert = (schema: string) => `upserted AS (
  INSERT INTO ${schema}.indicators AS i (key_space, token, member_no, confidence, observed_at, first_seen_at,
                                         last_seen_at, expires_at, external_ref, disclose_identity, submission_id)
  SELECT s.id, n.token, (SELECT member_no FROM members WHERE id = $9::uuid), n.confidence, n.observed_at, now(), now(),
         n.expires_at, COALESCE(n.external_ref, ''), n.disclose_identity, $10::uuid
    FROM input n JOIN spaces s ON s.type = n.type AND s.key_epoch = n.key_epoch
  ${INDICATOR_UPSERT_CONFLICT}
  RETURNING 1
)`;

const baselineMatch = (schema: string) => `matched AS (
  INSERT INTO ${schema}.matches AS m (type, key_epoch, token, status, holder_count, first_seen_at, last_seen_at)
  SELECT r.type, r.key_epoch, r.token, 'OPEN', count(*) + 1, min(o.first_seen_at), now()
    FROM input r
    JOIN spaces s ON s.type = r.type AND s.key_epoch = r.key_epoch
    JOIN ${schema}.indicators o ON o.key_space = s.id AND o.token = r.token
   WHERE o.member_no <> (SELECT member_no FROM members WHERE id = $9::uuid) AND o.expires_at > now()
   GROUP BY 1, 2, 3
   ORDER BY 1, 2, 3
  ON CONFLICT (type, key_epoch, token) DO UPDATE SET
    holder_count = EXCLUDED.holder_count, version = m.version + 1, last_seen_at = now(), updated_at = now()
  RETURNING 1
)`;

/**
 * The same-run baseline: one hand-written statement per batch straight
 * through pg: unnest arrays, the upsert with the server's ON CONFLICT rules,
 * and a join that writes a match row for every token another member holds.
 * No GraphQL, no outbox, no queue, no per-member alert rows. `schema` holds
 * the baseline's own indicators and matches tables.
 */
export const baselineStatement = (
  schema: string = BASELINE_SCHEMA,
) => `WITH ${BASELINE_INPUT}, ${baselineUpsert(schema)}, ${baselineMatch(schema)}
SELECT (SELECT count(*) FROM upserted)::int AS stored, (SELECT count(*) FROM matched)::int AS matched`;

/** The latency baseline's two steps: the upsert alone (committed), then the match join alone ($1-$9). */
export const BASELINE_UPSERT_STATEMENT = `WITH ${BASELINE_INPUT}, ${baselineUpsert(BASELINE_SCHEMA)} SELECT count(*)::int AS stored FROM upserted`;
export const BASELINE_MATCH_STATEMENT = `WITH ${BASELINE_INPUT}, ${baselineMatch(BASELINE_SCHEMA)} SELECT count(*)::int AS matched FROM matched`;

/** The statement's parameters for one batch: deduplicated (last item wins), defaults applied as the server does. */
export function baselineParams(batch: Batch, memberId: string): unknown[] {
  const byKey = new Map<string, Batch['items'][number]>();
  for (const item of batch.items) {
    const key = `${item.type}|${item.token}`;
    byKey.delete(key);
    byKey.set(key, item);
  }
  const items = [...byKey.values()];
  const now = Date.now();
  return [
    items.map((i) => i.type),
    items.map(() => BENCH_EPOCH),
    items.map((i) => i.token),
    items.map((i) => i.observedAt),
    items.map((i) => new Date(now + DEFAULT_TTL_DAYS[i.type] * 86_400_000).toISOString()),
    items.map((i) => i.confidence),
    items.map((i) => i.externalRef ?? null),
    items.map(() => false),
    memberId,
    randomUUID(),
  ];
}

/**
 * Runs a workload through the baseline statement, one connection per
 * submitter, as concurrent as the server phase. `warmUp`, when given, runs
 * first on the same connections, unmeasured, so that the baseline is timed
 * on warm backends as the server's pooled connections are.
 */
export async function baselineIngest(
  url: string,
  members: BenchMember[],
  workload: Workload,
  schema = BASELINE_SCHEMA,
  warmUp?: Workload,
): Promise<IngestResult> {
  const statement = baselineStatement(schema);
  const clients = await Promise.all(workload.batches.map(() => open(url)));
  try {
    if (warmUp) {
      await Promise.all(
        warmUp.batches.map(async (own, m) => {
          for (const batch of own) await clients[m % clients.length].query(statement, baselineParams(batch, members[m].id));
        }),
      );
    }
    const params = workload.batches.map((own, m) => own.map((batch) => baselineParams(batch, members[m].id)));
    const perBatch: number[] = [];
    let stored = 0;
    let matched = 0;
    const pgBefore = postgresCpu(databaseName(url));
    const start = performance.now();
    await Promise.all(
      workload.batches.map(async (own, m) => {
        for (let b = 0; b < own.length; b++) {
          const sent = performance.now();
          const { rows } = await clients[m].query<{ stored: number; matched: number }>(statement, params[m][b]);
          perBatch.push(performance.now() - sent);
          stored += rows[0].stored;
          matched += rows[0].matched;
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    const pgUs = (postgresCpuBetween(pgBefore, postgresCpu(databaseName(url))) * 1e6) / workload.expected.items;
    const e = workload.expected;
    return {
      label: workload.label,
      batchSize: workload.batchSize,
      items: e.items,
      seconds,
      rate: e.items / seconds,
      requestsSeconds: seconds,
      perBatchMs: percentiles(perBatch),
      expected: e,
      // The baseline upserts every distinct item; it writes match rows, not per-member alerts.
      observed: { accepted: stored, duplicates: e.items - stored, alerts: 0, matches: matched },
      correct: true,
      cpuUsPerItem: { api: 0, worker: 0, postgres: pgUs },
    };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}
