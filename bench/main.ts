import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { projectRoot } from '@app/common';
import {
  BASELINE_SCHEMA,
  createBaselineTables,
  createPartitionedTables,
  PARTITIONED_SCHEMA,
  open,
  preloadRows,
  startAutoExplain,
  recreateDatabase,
  serverFacts,
  settle,
  tableSize,
} from './database.js';
import { Fleet } from './fleet.js';
import { baselineIngest, serverIngest, type IngestResult, type ServerContext } from './ingest.js';
import { AlertRowObserver, alertLatency, baselineLatency } from './latency.js';
import { onboardMembers } from './members.js';
import { describeOprf, measureOprf, type OprfBenchResult } from './oprf.js';
import { measureReads } from './reads.js';
import { buildRows, describeApiProcesses, MB, renderReport, type BenchReport, type LevelResult } from './report.js';
import { fmt, parseSize, sizeLabel } from './stats.js';
import { INGEST_MIX, LATENCY_MIX, WorkloadPlanner } from './workload.js';
import { describeSimilarity, measureSimilarity, type SimilarityBenchResult } from './similarity.js';
import { describeTemplateQuality, measureTemplateQuality, type TemplateQualityResult } from './template-similarity.js';
import { describeTwoKey, measureTwoKey } from './two-key.js';
import { measureCampaigns } from './campaigns.js';
import { startAlertObserver, BENCH_SERVER_ENV } from './webhooks.js';

/** How big each phase is: batches per submitting member, per batch size. */
interface Plan {
  mode: BenchReport['mode'];
  levels: number[];
  ingestBatches: (level: number, batchSize: number) => number;
  latencyLevel: number;
  latencyBatches: Record<number, number>;
  readSeconds: number;
}

const BATCH_SIZES = [1_000, 10_000];
const SUBMITTERS = 4;
const MEMBERS = 8;
const READ_CLIENTS = 8;
/**
 * Items in each submitter's unmeasured warm-up batch before an ingest phase:
 * enough to compile the hot paths and fill the pools; a 10,000-item one
 * would double the quick run's largest phase.
 */
const WARM_UP_BATCH = 1_000;
/** Offered load in the latency phases, as a share of the measured ingest rate. */
const LATENCY_LOAD = 0.3;

function plan(options: { quick?: boolean; levels?: number[] }): Plan {
  if (options.quick) {
    return {
      mode: 'quick',
      levels: options.levels ?? [100_000],
      ingestBatches: (_level, size) => (size >= 10_000 ? 1 : 5),
      latencyLevel: options.levels?.[0] ?? 100_000,
      latencyBatches: { 1_000: 40, 10_000: 6 },
      readSeconds: 5,
    };
  }
  const levels = options.levels ?? [100_000, 1_000_000, 10_000_000];
  return {
    mode: options.levels ? 'custom' : 'full',
    levels,
    // Fewer rows at 100k, so the level is not swamped by what its phases add.
    ingestBatches: (level, size) => (level < 1_000_000 ? (size >= 10_000 ? 2 : 8) : size >= 10_000 ? 4 : 40),
    latencyLevel: levels.includes(1_000_000) ? 1_000_000 : levels[0],
    latencyBatches: { 1_000: 120, 10_000: 16 },
    readSeconds: 10,
  };
}

function parseArgs(argv: string[]) {
  const program = new Command()
    .name('npm run bench --')
    .description('Sigfed performance benchmark against the local PostgreSQL and Redis (see docs/performance.md)')
    .option('--quick', 'sanity run: 100k stored only, small phases (a few minutes)')
    .option('--levels <sizes>', 'stored sizes to measure at, e.g. 100k,1M,10M (default: all three)', (v) =>
      v.split(',').map((s) => {
        try {
          return parseSize(s);
        } catch (e) {
          throw new InvalidArgumentError((e as Error).message);
        }
      }),
    )
    .option(
      '--processes <n>',
      'API processes and worker processes to run (each)',
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 8) throw new InvalidArgumentError('1 to 8');
        return n;
      },
      1,
    )
    .option(
      '--database-url <url>',
      'the bench database (dropped and recreated; its name must contain "bench")',
      'postgresql://postgres@127.0.0.1:5432/sigfed_bench',
    )
    .option(
      '--redis-url <url>',
      'Redis (the bench uses the database name as its key prefix, _ as -: sigfed-bench)',
      'redis://127.0.0.1:6379',
    )
    .option(
      '--phases <list>',
      'which measurements to run: ingest,latency,reads,api-processes,oprf,two-key,similarity,campaigns (default: all; oprf alone needs no database; similarity uses a database of its own)',
      (v) => {
        const phases = v.split(',').map((x) => x.trim());
        for (const x of phases)
          if (!['ingest', 'latency', 'reads', 'api-processes', 'oprf', 'two-key', 'similarity', 'campaigns'].includes(x))
            throw new InvalidArgumentError(`unknown phase ${x}`);
        return phases;
      },
    )
    .option(
      '--partitions <n>',
      'also run the baseline against a copy of the table hash-partitioned by token into n partitions (docs/scaling.md)',
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 2 || n > 256) throw new InvalidArgumentError('2 to 256');
        return n;
      },
    )
    .option(
      '--explain',
      'log EXPLAIN (ANALYZE, BUFFERS) of every statement over 20 ms (auto_explain) and copy those plans into the run directory',
    )
    .option('--profile', 'write V8 CPU profiles of the API and worker processes (--cpu-prof) into the run directory')
    .option('--keep', 'keep the bench database afterwards (default: drop it, it can be gigabytes)')
    .option('--out <file>', 'where to write the JSON results (default: bench/results/<date>[-quick][-pN].json)');
  program.parse(argv);
  return program.opts<{
    quick?: boolean;
    levels?: number[];
    processes: number;
    databaseUrl: string;
    redisUrl: string;
    profile?: boolean;
    phases?: string[];
    explain?: boolean;
    partitions?: number;
    keep?: boolean;
    out?: string;
  }>();
}

/** Only loopback: the bench drops a database and floods a server with writes. */
function assertLoopback(url: string, what: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) throw new Error(`${what} must be on loopback (got ${host})`);
}

async function clearRedisPrefix(url: string, prefix: string): Promise<string> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    const info = await redis.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } finally {
    redis.disconnect();
  }
}

/** Loads both tables (server's and baseline's) to `target` rows, in parallel, with a progress bar. */
async function preload(
  url: string,
  db: pg.Client,
  tables: string[],
  target: number,
  from: number,
  memberIds: string[],
): Promise<{ rowsAdded: number; seconds: number }> {
  const current = (await tableSize(db, 'indicators')).rows;
  const add = Math.max(0, target - current);
  if (add === 0) return { rowsAdded: 0, seconds: 0 };
  const bar = new cliProgress.SingleBar({
    format: `  preloading ${sizeLabel(target).padEnd(4)} [{bar}] {percentage}% | {value}/{total} rows (SQL generate_series, ${tables.length} tables) | {duration}s, eta {eta}s`,
    hideCursor: true,
    etaBuffer: 20,
    noTTYOutput: true,
    notTTYSchedule: 10_000,
  });
  bar.start(add * tables.length, 0);
  const started = performance.now();
  const sessions = await Promise.all(tables.map(() => open(url)));
  try {
    await Promise.all(tables.map((table, i) => preloadRows(sessions[i], table, from, add, memberIds, (n) => bar.increment(n))));
  } finally {
    bar.stop();
    await Promise.all(sessions.map((s) => s.end()));
  }
  const seconds = (performance.now() - started) / 1000;
  const settleStart = performance.now();
  await settle(db, tables);
  console.log(
    `  preloaded ${fmt(add)} rows into each table in ${fmt(seconds, 1)} s; VACUUM ANALYZE + CHECKPOINT ${fmt((performance.now() - settleStart) / 1000, 1)} s`,
  );
  return { rowsAdded: add, seconds };
}

function describeIngest(side: string, r: IngestResult): string {
  const c = r.cpuUsPerItem;
  const cpu =
    side === 'server'
      ? `CPU/indicator: API ${fmt(c.api, 1)} us, worker ${fmt(c.worker, 1)} us, Postgres ${fmt(c.postgres, 1)} us`
      : `CPU/indicator: Postgres ${fmt(c.postgres, 1)} us`;
  const tail =
    side === 'server'
      ? `; answers done at ${fmt(r.requestsSeconds, 1)} s; alerts ${fmt(r.observed.alerts)}/${fmt(r.expected.alerts)}${r.correct ? '' : ' WRONG'}`
      : '';
  return `    ${side.padEnd(8)} ${fmt(r.items)} indicators in ${fmt(r.seconds, 2)} s = ${fmt(r.rate)}/s${tail}\n             ${cpu}`;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv);
  const p = plan(options);
  const wants = (phase: string) => !options.phases || options.phases.includes(phase);
  assertLoopback(options.databaseUrl, '--database-url');
  assertLoopback(options.redisUrl, '--redis-url');
  const began = performance.now();
  const date = new Date().toISOString().slice(0, 10);
  const runDir = mkdtempSync(join(tmpdir(), 'sigfed-bench-'));
  const dataDir = join(runDir, 'data');
  mkdirSync(dataDir);
  console.log(
    `Sigfed benchmark (${p.mode}): stored sizes ${p.levels.map(sizeLabel).join(', ')}; ${options.processes} API + ${options.processes} worker process(es)`,
  );
  console.log(`  logs and profiles in ${runDir}`);
  const loadAtStart = loadavg()[0];
  if (loadAtStart > 0.5) {
    console.log(
      `  WARNING: the 1-minute load average is ${fmt(loadAtStart, 2)}: other processes are using this machine's CPUs, so rates will come out low and noisy.`,
    );
  }

  // The OPRF phase needs neither the database nor the fleet: first, on a quiet machine.
  let oprf: OprfBenchResult | undefined;
  if (wants('oprf')) {
    oprf = await measureOprf({ quick: options.quick });
    for (const line of describeOprf(oprf)) console.log(line);
    if (options.phases?.every((phase) => phase === 'oprf')) {
      const out = options.out ?? join(projectRoot(), 'bench', 'results', `${date}-oprf${options.quick ? '-quick' : ''}.json`);
      mkdirSync(join(out, '..'), { recursive: true });
      writeFileSync(
        out,
        `${JSON.stringify({ date, mode: p.mode, cpus: cpus().length, cpuModel: cpus()[0]?.model.trim(), node: process.version, loadAverageAtStart: Number(loadAtStart.toFixed(2)), oprf }, null, 2)}\n`,
      );
      console.log(`\nresults written to ${out}`);
      return;
    }
  }

  // One prefix per bench database, so runs against different databases can share a Redis.
  // Similar template signatures: the server's statements on a database of their own, before the fleet starts.
  let similarity: SimilarityBenchResult | undefined;
  let templateQuality: TemplateQualityResult | undefined;
  if (wants('similarity')) {
    // Recall and precision need neither database nor server: the SDK signs, the matching runs in memory.
    templateQuality = measureTemplateQuality({ quick: options.quick });
    for (const line of describeTemplateQuality(templateQuality)) console.log(line);
    console.log(
      `\nSimilar templates: candidate lookup and signature submission (${options.quick ? '10k and 100k' : '100k and 1M'} stored signatures)`,
    );
    similarity = await measureSimilarity(options.databaseUrl, Boolean(options.quick), (line) => console.log(`  ${line}`));
    for (const line of describeSimilarity(similarity)) console.log(line);
    if (options.phases?.every((phase) => phase === 'similarity' || phase === 'oprf')) {
      const out = options.out ?? join(projectRoot(), 'bench', 'results', `${date}-similarity${options.quick ? '-quick' : ''}.json`);
      mkdirSync(join(out, '..'), { recursive: true });
      writeFileSync(
        out,
        `${JSON.stringify({ date, mode: p.mode, cpus: cpus().length, cpuModel: cpus()[0]?.model.trim(), node: process.version, loadAverageAtStart: Number(loadAtStart.toFixed(2)), oprf, similarity, templateQuality }, null, 2)}\n`,
      );
      console.log(`\nresults written to ${out}`);
      return;
    }
  }

  const redisPrefix = new URL(options.databaseUrl).pathname.slice(1).replace(/_/g, '-');
  const redisVersion = await clearRedisPrefix(options.redisUrl, redisPrefix);
  await recreateDatabase(options.databaseUrl, (line) => console.log(`  ${line}`));
  const explain = options.explain ? await startAutoExplain(options.databaseUrl) : undefined;
  const db = await open(options.databaseUrl);
  const pgFacts = await serverFacts(db);
  await createBaselineTables(db);
  if (options.partitions) await createPartitionedTables(db, options.partitions);
  const loadedTables = [
    'public.indicators',
    `${BASELINE_SCHEMA}.indicators`,
    ...(options.partitions ? [`${PARTITIONED_SCHEMA}.indicators`] : []),
  ];

  const fleet = await Fleet.start({
    processes: options.processes,
    runDir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: options.databaseUrl,
      DATABASE_AUTO_CREATE: 'false',
      REDIS_URL: options.redisUrl,
      REDIS_PREFIX: redisPrefix,
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      // Every process must decrypt the same signing keys.
      SIGFED_MASTER_KEY: randomBytes(32).toString('base64url'),
      ...BENCH_SERVER_ENV,
    },
    apiNodeArgs: options.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(runDir, 'profiles')}`] : [],
    workerNodeArgs: options.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(runDir, 'profiles')}`] : [],
  });
  let report: BenchReport | undefined;
  try {
    console.log(`  started ${fleet.all.map((f) => `${f.name} (pid ${f.child.pid})`).join(', ')}`);
    const members = await onboardMembers(fleet, db, MEMBERS);
    console.log(
      `  onboarded ${members.length} members through bootstrap-admin, createInvitation and acceptInvitation; tokens from POST /oauth/token`,
    );
    const ctx: ServerContext = { fleet, members, db };
    const planner = new WorkloadPlanner(SUBMITTERS, MEMBERS);
    const memberIds = members.map((m) => m.id);
    let latencyNote = 'no latency phase ran';

    const levels: LevelResult[] = [];
    const failures: string[] = [];
    const latency: BenchReport['latency'] = [];
    let preloaded = 0;
    // The indicator levels run unless only phases of their own were asked for.
    const ownPhases = ['oprf', 'two-key', 'campaigns'];
    const indicatorLevels = options.phases?.every((phase) => ownPhases.includes(phase)) ? [] : p.levels;
    for (const level of indicatorLevels) {
      console.log(`\nStored size ${sizeLabel(level)}`);
      const loaded = await preload(options.databaseUrl, db, loadedTables, level, preloaded, memberIds);
      preloaded += loaded.rowsAdded;
      const result: LevelResult = { stored: level, preload: loaded, ingest: [], disk: undefined as unknown as LevelResult['disk'] };
      for (const batchSize of BATCH_SIZES) {
        // One unmeasured batch per submitter on each side first: neither is timed on cold JIT or new connections.
        const warmUp = planner.plan({
          label: `warm-up ${fmt(batchSize)}/batch`,
          batchSize: Math.min(batchSize, WARM_UP_BATCH),
          batchesPerMember: 1,
          mix: INGEST_MIX,
          preloaded,
        });
        await serverIngest(ctx, warmUp);
        const storedAtStart = (await tableSize(db, 'indicators')).rows;
        const workload = planner.plan({
          label: `${sizeLabel(level)} ${fmt(batchSize)}/batch`,
          batchSize,
          batchesPerMember: p.ingestBatches(level, batchSize),
          mix: INGEST_MIX,
          preloaded,
        });
        console.log(
          `  ingest ${fmt(batchSize)}/batch, ${SUBMITTERS} members x ${p.ingestBatches(level, batchSize)} batches (${fmt(storedAtStart)} stored)`,
        );
        await db.query('CHECKPOINT');
        const server = await serverIngest(ctx, workload, { sampleRss: batchSize >= 10_000 });
        console.log(describeIngest('server', server));
        await db.query('CHECKPOINT');
        const baseline = await baselineIngest(options.databaseUrl, members, workload, BASELINE_SCHEMA, warmUp);
        console.log(describeIngest('baseline', baseline));
        let partitioned: IngestResult | undefined;
        if (options.partitions) {
          await db.query('CHECKPOINT');
          partitioned = await baselineIngest(options.databaseUrl, members, workload, PARTITIONED_SCHEMA, warmUp);
          console.log(describeIngest('partitioned', partitioned));
        }
        result.ingest.push({ batchSize, storedAtStart, server, baseline, partitioned });
      }

      if (level === p.latencyLevel && wants('latency')) {
        const { observer, note } = await startAlertObserver(fleet, members, options.databaseUrl);
        // With webhooks, the alert rows are watched too: correlation and delivery then show apart.
        const alertRows = observer.kind === 'webhook' ? await AlertRowObserver.start(options.databaseUrl) : undefined;
        latencyNote = note;
        console.log(`  alert latency observer: ${observer.kind} (${note})`);
        try {
          for (const batchSize of BATCH_SIZES) {
            const measured = result.ingest.find((i) => i.batchSize === batchSize)!.server.rate;
            const intervalMs = Math.max(20, Math.round((batchSize / (LATENCY_LOAD * measured)) * 1000));
            const workload = planner.plan({
              label: `latency ${fmt(batchSize)}/batch`,
              batchSize,
              batchesPerMember: Math.ceil(p.latencyBatches[batchSize] / SUBMITTERS),
              mix: LATENCY_MIX,
              preloaded,
            });
            console.log(
              `  alert latency ${fmt(batchSize)}/batch: one batch every ${intervalMs} ms (${fmt((batchSize / intervalMs) * 1000)} indicators/s, ` +
                `${LATENCY_LOAD * 100}% of the measured rate); clock stops at the ${observer.kind === 'webhook' ? 'webhook receiver' : 'alert row commit'}`,
            );
            await db.query('CHECKPOINT');
            let server: Awaited<ReturnType<typeof alertLatency>>;
            try {
              server = await alertLatency(ctx, observer, workload, intervalMs, alertRows);
            } catch (error) {
              failures.push(`alert latency ${fmt(batchSize)}/batch: ${(error as Error).message}`);
              console.log(`    FAILED: ${(error as Error).message}`);
              continue;
            }
            const baseline = await baselineLatency(options.databaseUrl, memberIds, workload, intervalMs);
            latency.push({ ...server, baseline, stored: level });
            console.log(
              `    server   p50 ${fmt(server.server.p50)} ms, p95 ${fmt(server.server.p95)} ms, p99 ${fmt(server.server.p99)} ms over ${fmt(server.server.count)} alerts${server.missing ? ` (${server.missing} missing)` : ''}`,
            );
            if (server.toAlertRow) {
              const r = server.toAlertRow;
              console.log(`    of which to the alert row's commit: p50 ${fmt(r.p50)} ms, p95 ${fmt(r.p95)} ms, p99 ${fmt(r.p99)} ms`);
            }
            console.log(
              `    baseline p50 ${fmt(baseline.p50)} ms, p95 ${fmt(baseline.p95)} ms, p99 ${fmt(baseline.p99)} ms over ${fmt(baseline.count)} batches`,
            );
          }
        } finally {
          await observer.close();
          await alertRows?.close();
        }
      }

      if (wants('reads')) {
        console.log(`  reads: ${READ_CLIENTS} clients for ${p.readSeconds} s`);
        try {
          result.reads = await measureReads(ctx, READ_CLIENTS, p.readSeconds);
          const r = result.reads;
          const c = r.server.cpuMsPerRequest;
          console.log(
            `    server ${fmt(r.server.qps)} queries/s (p50 ${fmt(r.server.p50Ms)} ms, p99 ${fmt(r.server.p99Ms)} ms, ${r.server.failed} failed); baseline ${fmt(r.baseline.qps)}/s`,
          );
          console.log(`             CPU/request: API ${fmt(c.api, 2)} ms, Postgres ${fmt(c.postgres, 2)} ms`);
          if (r.alertsPerMember)
            console.log(`             alerts held by the reading members: ${r.alertsPerMember.map((n) => fmt(n)).join(', ')}`);
          if (r.priority) {
            const pc = r.priority.cpuMsPerRequest;
            console.log(
              `    orderBy: PRIORITY ${fmt(r.priority.qps)} queries/s (p50 ${fmt(r.priority.p50Ms)} ms, p99 ${fmt(r.priority.p99Ms)} ms, ${r.priority.failed} failed), CPU/request API ${fmt(pc.api, 2)} ms, Postgres ${fmt(pc.postgres, 2)} ms`,
            );
          }
          for (const v of r.variants ?? []) {
            const vc = v.cpuMsPerRequest;
            console.log(
              `    ${v.label}: ${fmt(v.qps)} queries/s (p50 ${fmt(v.p50Ms)} ms, ${v.failed} failed), CPU/request API ${fmt(vc.api, 2)} ms, Postgres ${fmt(vc.postgres, 2)} ms`,
            );
          }
          if (r.floor) {
            console.log(
              `    floor: public serverInfo ${fmt(r.floor.qps)} queries/s, API ${fmt(r.floor.cpuMsPerRequest.api, 2)} ms/request${r.floor.failed ? ` (${r.floor.failed} failed)` : ''}`,
            );
          }
        } catch (error) {
          // A failed measurement is a result too: recorded, and the run goes on.
          result.readsError = (error as Error).message;
          failures.push(`reads at ${sizeLabel(level)}: ${result.readsError}`);
          console.log(`    FAILED: ${result.readsError}`);
        }
      }

      const disk = await tableSize(db, 'indicators');
      const baseDisk = await tableSize(db, `${BASELINE_SCHEMA}.indicators`);
      const partDisk = options.partitions ? await tableSize(db, `${PARTITIONED_SCHEMA}.indicators`) : undefined;
      result.disk = {
        rows: disk.rows,
        bytesPerMillion: disk.bytes / (disk.rows / 1e6),
        heapBytes: disk.heapBytes,
        indexBytes: disk.indexBytes,
        baselineBytesPerMillion: baseDisk.bytes / (baseDisk.rows / 1e6),
        partitionedBytesPerMillion: partDisk ? partDisk.bytes / (partDisk.rows / 1e6) : undefined,
      };
      console.log(
        `  disk: ${fmt(result.disk.bytesPerMillion / MB)} MB per million indicators (${fmt(disk.rows)} rows; heap ${fmt(disk.heapBytes / MB)} MB, indexes ${fmt(disk.indexBytes / MB)} MB)`,
      );
      levels.push(result);
    }

    let apiProcesses: BenchReport['apiProcesses'];
    if (wants('api-processes')) {
      const stored = p.levels.at(-1)!;
      console.log(`\nOne against two API processes (${sizeLabel(stored)} stored; ${options.processes} worker process(es))`);
      try {
        if (fleet.apis.length < 2) {
          const added = await fleet.addApi(runDir, options.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(runDir, 'profiles')}`] : []);
          console.log(`  started ${added.name} (pid ${added.child.pid})`);
        }
        apiProcesses = [];
        for (const count of [1, 2]) {
          const view: ServerContext = { ...ctx, fleet: fleet.withApis(count) };
          // As before the ingest phases: the second process is not timed on cold JIT or new connections.
          const warmUp = planner.plan({
            label: `warm-up ${count} API process(es)`,
            batchSize: WARM_UP_BATCH,
            batchesPerMember: 1,
            mix: INGEST_MIX,
            preloaded,
          });
          await serverIngest(view, warmUp);
          const reads = await measureReads(view, READ_CLIENTS, p.readSeconds, { variants: false });
          const batchSize = BATCH_SIZES[0];
          const workload = planner.plan({
            label: `${count} API process(es) ${fmt(batchSize)}/batch`,
            batchSize,
            batchesPerMember: p.ingestBatches(stored, batchSize) * 2,
            mix: INGEST_MIX,
            preloaded,
          });
          await db.query('CHECKPOINT');
          const ingest = await serverIngest(view, workload);
          apiProcesses.push({
            apiProcesses: count,
            readsQps: reads.server.qps,
            floorQps: reads.floor?.qps,
            ingestRate: ingest.rate,
            ingestRequestRate: ingest.items / ingest.requestsSeconds,
            cpuUsPerItem: ingest.cpuUsPerItem,
            correct: ingest.correct,
          });
          if (!ingest.correct) failures.push(`api-processes: the ingest with ${count} API process(es) stored or alerted the wrong counts`);
        }
        for (const line of describeApiProcesses(apiProcesses)) console.log(line);
      } catch (error) {
        failures.push(`api-processes: ${(error as Error).message}`);
        console.log(`    FAILED: ${(error as Error).message}`);
      }
    }

    let twoKey: BenchReport['twoKey'];
    if (wants('two-key')) {
      const values = p.mode === 'quick' ? 2_000 : 10_000;
      console.log(
        `\nTwo-key tokens: ${fmt(values)} new values through the SDK under an HMAC and a TWO_KEY epoch (${sizeLabel(p.levels.at(-1)!)} stored)`,
      );
      try {
        // A member that took no part in the phases above, so their probing throttle cannot stop it.
        twoKey = await measureTwoKey(fleet, members[MEMBERS - 1], runDir, values);
        for (const line of describeTwoKey(twoKey)) console.log(line);
      } catch (error) {
        failures.push(`two-key: ${(error as Error).message}`);
        console.log(`    FAILED: ${(error as Error).message}`);
      }
    }

    let campaigns: BenchReport['campaigns'];
    if (wants('campaigns')) {
      console.log(`\nCampaigns: bundles of ${8} tokens, ${10}% sharing a token with another member's`);
      try {
        campaigns = await measureCampaigns(ctx, options.databaseUrl, p.mode === 'quick');
        console.log(
          `    linking cost per bundle (worker CPU), largest over smallest size: ${fmt(campaigns.linkCostRatio, 2)} (${campaigns.note})`,
        );
      } catch (error) {
        failures.push(`campaigns: ${(error as Error).message}`);
        console.log(`    FAILED: ${(error as Error).message}`);
      }
    }

    const costGrowth: BenchReport['costGrowth'] = [];
    const from = levels.find((l) => l.stored === 1_000_000);
    const to = levels.find((l) => l.stored === 10_000_000);
    if (from && to) {
      for (const batchSize of BATCH_SIZES) {
        const a = from.ingest.find((i) => i.batchSize === batchSize)!;
        const b = to.ingest.find((i) => i.batchSize === batchSize)!;
        costGrowth.push({
          from: from.stored,
          to: to.stored,
          batchSize,
          server: a.server.rate / b.server.rate,
          baseline: a.baseline.rate / b.baseline.rate,
          partitioned: a.partitioned && b.partitioned ? a.partitioned.rate / b.partitioned.rate : undefined,
        });
      }
    }
    const rss = fleet.all.map((f) => ({
      process: f.name,
      idleBytes: f.idleRss,
      peakSampledBytes: f.peakSampledRss,
      hwmBytes: f.memory().hwmBytes,
    }));
    const partial = {
      date,
      mode: p.mode,
      processes: options.processes,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        memory: `${fmt(totalmem() / 2 ** 30, 1)} GiB`,
        os: `Linux ${release()}`,
        node: process.version,
        postgres: pgFacts.version,
        redis: redisVersion,
        postgresSettings: JSON.stringify(pgFacts.settings),
        loadAverageAtStart: Number(loadAtStart.toFixed(2)),
        loadAverageAtEnd: Number(loadavg()[0].toFixed(2)),
      },
      method: [
        `Preload: plain SQL (INSERT ... SELECT FROM generate_series, chunks of 250k rows), not through the API; the server's table and the baseline's table loaded alike, in parallel, indexes kept in place; then VACUUM (ANALYZE) and CHECKPOINT.`,
        `Members: ${MEMBERS} (${SUBMITTERS} submit concurrently, one request at a time each; ${MEMBERS - SUBMITTERS} only hold stored indicators), onboarded through bootstrap-admin, createInvitation and acceptInvitation; every request carries an access token from POST /oauth/token.`,
        'Each batch: 93% new tokens, 5% re-sent own tokens, 1% tokens every submitter sends in the phase (one alert per submitter), 1% tokens another lab holds (two alerts); sent as GraphQL variables.',
        `Server: NODE_ENV=production, default pool sizes and WORKER_CONCURRENCY; ${options.processes} API and ${options.processes} worker process(es) from dist/, each on its own port.`,
        latency[0]?.observer === 'webhook'
          ? 'Alert latency: to the first byte of the alert.created webhook at a loopback receiver.'
          : `Alert latency: ${latencyNote}, so the clock stops at the commit of the alert row (a bench-only trigger NOTIFYs); webhook delivery time is NOT included.`,
      ],
      partitions: options.partitions,
      levels,
      latency,
      costGrowth,
      twoKey,
      apiProcesses,
      similarity,
      campaigns,
      rss,
      oprf,
      templateQuality,
    } satisfies Omit<BenchReport, 'rows' | 'correct' | 'seconds' | 'failures'>;
    report = {
      ...partial,
      rows: buildRows(partial),
      failures,
      correct:
        failures.length === 0 && levels.every((l) => l.ingest.every((i) => i.server.correct)) && latency.every((l) => l.missing === 0),
      seconds: (performance.now() - began) / 1000,
    };
  } finally {
    await fleet.stop();
    if (!options.keep) {
      await db.end();
      const admin = await open(new URL('/postgres', options.databaseUrl).toString());
      await admin
        .query(`DROP DATABASE IF EXISTS "${new URL(options.databaseUrl).pathname.slice(1)}" WITH (FORCE)`)
        .finally(() => admin.end());
    } else {
      await db.end();
    }
  }

  if (explain) console.log(`\n${await explain.collect(join(runDir, 'explain.log'))}`);
  const text = renderReport(report);
  console.log(`\n${text}`);
  const suffix = `${report.mode === 'quick' ? '-quick' : report.mode === 'custom' ? '-custom' : ''}${options.processes > 1 ? `-p${options.processes}` : ''}`;
  // A campaigns-only run must not overwrite the day's full results.
  const only = options.phases?.every((phase) => phase === 'campaigns') ? '-campaigns' : '';
  const out = options.out ?? join(projectRoot(), 'bench', 'results', `${date}${only}${suffix}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(`${out}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(`${out}.tmp`, out);
  console.log(`\nresults written to ${out}`);
  if (!report.correct) process.exitCode = 1;
}

main().catch((error: Error) => {
  console.error(`\nbench failed: ${error.message}`);
  process.exitCode = 1;
});
