import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Queue } from 'bullmq';
import { Command, InvalidArgumentError } from 'commander';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { FetchLike } from '@app/sdk';
import { checkInvariants, describeProblems, type InvariantReport } from './invariants.js';
import { SubmissionLoad, type LoadStats } from './load.js';
import { createEndpoint, createMembers } from './members.js';
import { freePort } from '@app/common';
import { RoleProcess, rssOf } from './processes.js';
import { Receivers } from './receivers.js';

/**
 * `npm run soak -- --minutes N`: one API and one worker (compiled, as
 * deployed) against a database and a Redis prefix of their own; several
 * members submitting through the real API; alerts flowing to webhook
 * receivers on loopback, one of which fails half the time. Prints the
 * figures as it goes and at the end; exits 1 if anything was lost or an
 * invariant broke. See docs/operations.md.
 */

interface Options {
  seconds: number;
  members: number;
  batch: number;
  shared: number;
  intervalMs: number;
  reportSeconds?: number;
  drainSeconds: number;
  server: string;
  database: string;
  redisUrl: string;
  redisPrefix: string;
  json?: string;
  keep: boolean;
}

/** One sample of the processes and queues. */
interface Sample {
  t: number;
  phase: 'load' | 'drain';
  rss: { api?: number; worker?: number };
  events: Record<string, number>;
  webhooks: Record<string, number>;
  outboxBacklog: number;
  pendingDeliveries: number;
}

/** What the run prints at the end and writes with --json. */
export interface SoakResult {
  options: Omit<Options, 'json'>;
  startedAt: string;
  loadSeconds: number;
  drainSeconds: number;
  drained: boolean;
  load: LoadStats;
  requests: { total: number; failed: number };
  invariants: InvariantReport;
  rss: Record<'api' | 'worker', { startMb: number; endMb: number; maxMb: number; slopeMbPerMin: number; fitFromSeconds: number }>;
  queues: { maxEventsDepth: number; maxWebhooksDepth: number; endEventsDepth: number; endWebhooksDepth: number };
  samples: Sample[];
  processes: { apiStarts: number; workerStarts: number; apiExit: number | null; workerExit: number | null };
  ok: boolean;
}

/** Retry schedule of the run: 20 attempts within about 45 s, so a receiver failing half the time loses 1 in a million. */
export const SOAK_RETRY_SCHEDULE = '0,250ms,500ms,1s,1s,1s,2s,2s,2s,2s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s';
const ATTEMPTS = SOAK_RETRY_SCHEDULE.split(',').length;
const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Least-squares slope of y over x. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
}

function depth(counts: Record<string, number>): number {
  return (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0);
}

const mb = (bytes: number | undefined) => (bytes === undefined ? '-' : `${Math.round(bytes / MB)} MB`);
const q = (c: Record<string, number>) => `w${c.waiting ?? 0} a${c.active ?? 0} d${c.delayed ?? 0} f${c.failed ?? 0}`;

async function recreateDatabase(server: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: `${server.replace(/\/+$/, '')}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
}

async function dropDatabase(server: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: `${server.replace(/\/+$/, '')}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).finally(() => admin.end());
}

async function clearPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Runs a soak and returns its figures; `print` receives the progress lines. */
export async function runSoak(o: Options, print: (line: string) => void = console.log): Promise<SoakResult> {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const runDir = mkdtempSync(join(tmpdir(), 'sigfed-soak-'));
  const databaseUrl = `${o.server.replace(/\/+$/, '')}/${o.database}`;
  print(
    `soak ${runId}: ${o.seconds} s of load, ${o.members} members, batches of ${o.batch} (${o.shared} shared) every ${o.intervalMs} ms each`,
  );
  print(`database ${o.database}, Redis prefix ${o.redisPrefix}, logs in ${runDir}`);
  await recreateDatabase(o.server, o.database);
  await clearPrefix(o.redisUrl, o.redisPrefix);

  const apiPort = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    REDIS_URL: o.redisUrl,
    REDIS_PREFIX: o.redisPrefix,
    DATA_DIR: runDir,
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8',
    WEBHOOK_RETRY_SCHEDULE: SOAK_RETRY_SCHEDULE,
    OUTBOX_REDELIVER_AFTER_SECONDS: '30',
    // Faults and crashes are under test here, not the per-member submission rate (a retried batch is charged again).
    SUBMISSION_BUDGET_POINTS: '1000000000',
    // Nor the lookup-oracle defences: the soak's members submit nothing but new tokens.
    SUBMISSION_QUOTA_PER_HOUR_IP_RANGE: '1000000000',
    PROBING_MIN_INDICATORS: '1000000000',
  };
  const api = new RoleProcess('api', apiPort, env, runDir);
  const worker = new RoleProcess('worker', await freePort(), env, runDir);
  const db = new pg.Client({ connectionString: databaseUrl });
  const queues = {
    events: new Queue('events', { connection: { url: o.redisUrl }, prefix: o.redisPrefix }),
    webhooks: new Queue('webhooks', { connection: { url: o.redisUrl }, prefix: o.redisPrefix }),
  };
  const receivers = await Receivers.start();
  const requests = { total: 0, failed: 0 };
  const counting: FetchLike = async (input, init) => {
    requests.total++;
    try {
      const res = await fetch(input, init);
      if (res.status >= 500 || res.status === 429) requests.failed++;
      return res;
    } catch (error) {
      requests.failed++;
      throw error;
    }
  };
  const samples: Sample[] = [];
  let load: SubmissionLoad | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let started = Date.now();
  let phase: Sample['phase'] = 'load';

  try {
    await api.start(); // migrates the new database
    await worker.start();
    await db.connect();
    const members = await createMembers(db, api.url, o.members, { label: 'Soak lab', fetch: counting });
    const byEndpoint = new Map<string, ReturnType<Receivers['add']>>();
    for (const m of members) {
      // The first member's receiver fails half the time; the others always answer 204.
      const path = receivers.add(`/m${m.index + 1}`, m.index === 0 ? 0.5 : 0);
      const endpoint = await createEndpoint(m, receivers.url(path.path));
      path.secret = endpoint.secret;
      byEndpoint.set(endpoint.id, path);
    }

    const sample = async (): Promise<Sample> => {
      const [events, webhooks, [row]] = await Promise.all([
        queues.events.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized'),
        queues.webhooks.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized'),
        db
          .query<{ backlog: number; pending: number }>(
            `SELECT (SELECT count(*)::int FROM outbox_events WHERE processed_at IS NULL) AS backlog,
                    (SELECT count(*)::int FROM webhook_deliveries WHERE status = 'PENDING') AS pending`,
          )
          .then((r) => r.rows),
      ]);
      const s: Sample = {
        t: (Date.now() - started) / 1000,
        phase,
        rss: { api: rssOf(api.pid), worker: rssOf(worker.pid) },
        events,
        webhooks,
        outboxBacklog: row.backlog,
        pendingDeliveries: row.pending,
      };
      samples.push(s);
      return s;
    };
    const progress = async () => {
      const s = samples.at(-1) ?? (await sample());
      const [c] = (
        await db.query<{ alerts: number; succeeded: number; attempts: number; tried: number }>(
          `SELECT (SELECT count(*)::int FROM alerts) AS alerts,
                  (SELECT count(*)::int FROM webhook_deliveries WHERE status = 'SUCCEEDED') AS succeeded,
                  (SELECT count(*)::int FROM webhook_delivery_attempts) AS attempts,
                  (SELECT count(*)::int FROM webhook_deliveries WHERE attempt_count > 0) AS tried`,
        )
      ).rows;
      const st = load!.stats;
      print(
        `[${String(Math.round(s.t)).padStart(5)} s ${s.phase}] submissions ${st.batches} (${st.items} items) | alerts ${c.alerts} | ` +
          `deliveries ok ${c.succeeded}, pending ${s.pendingDeliveries}, retries ${c.attempts - c.tried} | ` +
          `queues events ${q(s.events)} webhooks ${q(s.webhooks)} | outbox backlog ${s.outboxBacklog} | ` +
          `RSS api ${mb(s.rss.api)} worker ${mb(s.rss.worker)}`,
      );
    };

    load = new SubmissionLoad(members, { runId, batchSize: o.batch, sharedPerBatch: o.shared, intervalMs: o.intervalMs, retractEvery: 10 });
    const sampleEvery = Math.min(5_000, Math.max(1_000, (o.seconds * 1000) / 60));
    const reportEvery = (o.reportSeconds ?? Math.min(60, Math.max(5, Math.round(o.seconds / 10)))) * 1000;
    // The clock starts with the load (not with the processes), so --seconds is seconds of load.
    started = Date.now();
    sampler = setInterval(() => void sample().catch(() => undefined), sampleEvery);
    load.start();
    const loadEnd = started + o.seconds * 1000;
    let nextReport = started + reportEvery;
    while (Date.now() < loadEnd) {
      await sleep(Math.min(250, loadEnd - Date.now()));
      if (Date.now() >= nextReport) {
        while (nextReport <= Date.now()) nextReport += reportEvery;
        await progress();
      }
    }
    await load.stop(o.drainSeconds * 1000);
    const loadSeconds = (Date.now() - started) / 1000;
    phase = 'drain';
    print(`load stopped after ${loadSeconds.toFixed(0)} s; draining (at most ${o.drainSeconds} s)`);

    clearInterval(sampler);
    sampler = undefined;
    const drainStart = Date.now();
    let drained = false;
    while (!drained && Date.now() - drainStart < o.drainSeconds * 1000) {
      await sleep(1_000);
      const s = await sample();
      drained = s.outboxBacklog === 0 && s.pendingDeliveries === 0 && depth(s.events) === 0 && depth(s.webhooks) === 0;
    }
    await progress();
    const drainSeconds = (Date.now() - drainStart) / 1000;

    const invariants = await checkInvariants(db, { acknowledged: load.acknowledged, receivers: byEndpoint, attemptsAllowed: ATTEMPTS });
    const rss = {} as SoakResult['rss'];
    const loadSamples = samples.filter((s) => s.phase === 'load');
    // The first fifth (at most a minute) is warm-up: JIT, pools and caches filling.
    const fitFrom = Math.min(60, loadSeconds / 5);
    for (const role of ['api', 'worker'] as const) {
      const all = samples.map((s) => s.rss[role]).filter((v): v is number => v !== undefined);
      const points = loadSamples
        .filter((s) => s.t >= fitFrom && s.rss[role] !== undefined)
        .map((s) => ({ x: s.t / 60, y: s.rss[role]! / MB }));
      rss[role] = {
        startMb: (all[0] ?? 0) / MB,
        endMb: (all.at(-1) ?? 0) / MB,
        maxMb: Math.max(0, ...all) / MB,
        slopeMbPerMin: slope(points),
        fitFromSeconds: fitFrom,
      };
    }
    const queuesSummary = {
      maxEventsDepth: Math.max(0, ...samples.map((s) => depth(s.events))),
      maxWebhooksDepth: Math.max(0, ...samples.map((s) => depth(s.webhooks))),
      endEventsDepth: depth(samples.at(-1)?.events ?? {}),
      endWebhooksDepth: depth(samples.at(-1)?.webhooks ?? {}),
    };

    // Both processes must still be the ones started at the beginning, and stop cleanly.
    const apiExit = (await api.stop('SIGTERM')).code;
    const workerExit = (await worker.stop('SIGTERM')).code;
    const processes = { apiStarts: api.starts, workerStarts: worker.starts, apiExit, workerExit };
    const ok =
      drained &&
      invariants.lost === 0 &&
      Object.keys(invariants.problems).length === 0 &&
      load.stats.refused.length === 0 &&
      apiExit === 0 &&
      workerExit === 0;

    const { json: _json, ...printable } = o;
    const result: SoakResult = {
      options: printable,
      startedAt: new Date(started).toISOString(),
      loadSeconds,
      drainSeconds,
      drained,
      load: load.stats,
      requests,
      invariants,
      rss,
      queues: queuesSummary,
      samples,
      processes,
      ok,
    };
    for (const line of summary(result)) print(line);
    return result;
  } finally {
    if (sampler) clearInterval(sampler);
    await api.close().catch(() => undefined);
    await worker.close().catch(() => undefined);
    await receivers.close();
    await Promise.all([queues.events.close(), queues.webhooks.close()]).catch(() => undefined);
    await db.end().catch(() => undefined);
    await clearPrefix(o.redisUrl, o.redisPrefix).catch(() => undefined);
    if (!o.keep) {
      await dropDatabase(o.server, o.database).catch(() => undefined);
      rmSync(runDir, { recursive: true, force: true });
    }
  }
}

/** The closing figures, one line each. */
export function summary(r: SoakResult): string[] {
  const i = r.invariants;
  const fmt = (n: number) => n.toFixed(1);
  const lines = [
    `--- soak ${r.ok ? 'PASSED' : 'FAILED'}: ${fmt(r.loadSeconds / 60)} min of load, ${r.options.members} members, drained in ${fmt(r.drainSeconds)} s${r.drained ? '' : ' (NOT drained)'}`,
    `submissions  ${r.load.batches} acknowledged, ${r.load.items} items, ${r.load.retracted} retracted; stored: ${i.submissions} submissions, ${i.indicators} indicators`,
    `client       ${r.requests.total} HTTP requests, ${r.requests.failed} answered 5xx/429 or failed; ${r.load.callRetries} whole-call retries; failures by cause ${JSON.stringify(r.load.failures)}`,
    `alerts       ${i.alerts} (${i.openAlerts} open); ${i.alertEvents} alert events announced`,
    `deliveries   ${i.deliveries} (${i.succeeded} succeeded, ${i.pending} pending with attempts left); ${i.attempts} attempts, ${i.retries} retries; ${i.redelivered} redelivered after a 2xx (same webhook-id)`,
    `lost         ${i.lost}`,
    `RSS          api ${fmt(r.rss.api.startMb)} -> ${fmt(r.rss.api.endMb)} MB (max ${fmt(r.rss.api.maxMb)}), slope ${r.rss.api.slopeMbPerMin >= 0 ? '+' : ''}${r.rss.api.slopeMbPerMin.toFixed(2)} MB/min; ` +
      `worker ${fmt(r.rss.worker.startMb)} -> ${fmt(r.rss.worker.endMb)} MB (max ${fmt(r.rss.worker.maxMb)}), slope ${r.rss.worker.slopeMbPerMin >= 0 ? '+' : ''}${r.rss.worker.slopeMbPerMin.toFixed(2)} MB/min ` +
      `(least squares over the load phase from ${Math.round(r.rss.api.fitFromSeconds)} s)`,
    `queues       max depth events ${r.queues.maxEventsDepth}, webhooks ${r.queues.maxWebhooksDepth}; at the end ${r.queues.endEventsDepth} and ${r.queues.endWebhooksDepth}`,
    `processes    api started ${r.processes.apiStarts}x, worker ${r.processes.workerStarts}x; SIGTERM exit codes api ${r.processes.apiExit}, worker ${r.processes.workerExit}`,
  ];
  const problems = describeProblems(i);
  if (problems) lines.push(`PROBLEMS\n${problems}`);
  if (r.load.refused.length) lines.push(`REFUSED\n${r.load.refused.slice(0, 5).join('\n')}`);
  return lines;
}

function positive(what: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive number`);
    return n;
  };
}

async function main(): Promise<void> {
  const program = new Command()
    .name('npm run soak --')
    .description('Soak: members submitting through the real API, alerts to loopback webhook receivers (one failing half the time)')
    .option('--minutes <n>', 'minutes of load', positive('--minutes'))
    .option('--seconds <n>', 'seconds of load (instead of --minutes)', positive('--seconds'))
    .option('--members <n>', 'submitting members', positive('--members'), 5)
    .option('--batch <n>', 'items per batch', positive('--batch'), 100)
    .option('--shared <n>', 'items per batch shared with other members', positive('--shared'), 5)
    .option('--interval-ms <n>', 'each member submits one batch this often', positive('--interval-ms'), 1000)
    .option('--report-seconds <n>', 'progress line this often (default: a tenth of the run, 5-60 s)', positive('--report-seconds'))
    .option('--drain-seconds <n>', 'longest wait for queues and deliveries to drain after the load', positive('--drain-seconds'), 180)
    .option('--server <url>', 'PostgreSQL server (no database name)', 'postgresql://postgres@127.0.0.1:5432')
    .option('--database <name>', 'database of the run (dropped and created again)', 'sigfed_soak')
    .option('--redis-url <url>', 'Redis', 'redis://127.0.0.1:6379')
    .option('--redis-prefix <prefix>', 'Redis key prefix of the run (cleared before and after)', 'sigfed-soak')
    .option('--json <file>', 'also write every figure and sample as JSON')
    .option('--keep', 'keep the database and the log directory', false)
    .parse();
  const a = program.opts();
  if (!/^[A-Za-z0-9_]+$/.test(a.database)) throw new InvalidArgumentError('--database must be letters, digits and _');
  const seconds = a.seconds ?? (a.minutes ?? 1) * 60;
  const options: Options = {
    seconds,
    members: Math.max(2, Math.round(a.members)),
    batch: Math.round(a.batch),
    shared: Math.min(Math.round(a.shared), Math.round(a.batch)),
    intervalMs: a.intervalMs,
    reportSeconds: a.reportSeconds,
    drainSeconds: a.drainSeconds,
    server: a.server,
    database: a.database,
    redisUrl: a.redisUrl,
    redisPrefix: a.redisPrefix,
    json: a.json,
    keep: a.keep,
  };
  const result = await runSoak(options);
  if (options.json) writeFileSync(options.json, JSON.stringify(result, null, 2));
  process.exit(result.ok ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: Error) => {
    console.error(`soak failed: ${error.message}`);
    process.exit(1);
  });
}
