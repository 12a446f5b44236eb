import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubmissionLoad } from '../../reliability/load.js';
import { PrivatePostgres, privatePostgresAvailable, waitFor } from '../../reliability/processes.js';
import { FaultStack } from '../support/faults.js';

/** `npm run faults` stops Postgres for the ten seconds issue 7 names; the suite for three. */
const OUTAGE_SECONDS = process.env.SIGFED_FAULTS === 'long' ? 10 : 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * PostgreSQL stops (immediate: a crash as far as clients know) while members
 * submit through the API in a loop, and starts again. The compiled API and
 * worker run against a private cluster (initdb in a temporary directory), so
 * the machine's shared Postgres is never touched; nobody restarts them.
 */
// Needs the server binaries (initdb, pg_ctl) on this machine, not only a reachable server.
describe.runIf(privatePostgresAvailable())(`Postgres stops for ${OUTAGE_SECONDS} s under load`, () => {
  let pg: PrivatePostgres;
  let stack: FaultStack;

  beforeAll(async () => {
    pg = await PrivatePostgres.create();
    stack = await FaultStack.start({
      DATABASE_URL: pg.url('sigfed_fault'),
      DATABASE_AUTO_CREATE: 'true',
      MIGRATE_ON_START: 'true',
      // As in production: nothing is re-relayed while its job waits out its backoff.
      OUTBOX_REDELIVER_AFTER_SECONDS: '60',
    });
  }, 90_000);

  afterAll(async () => {
    await stack?.close();
    await pg?.destroy();
  });

  it('loses nothing, stores nothing twice, and both processes recover by themselves', { timeout: 120_000 }, async () => {
    const members = await stack.members(3, [0.5]);
    const load = new SubmissionLoad(members, {
      runId: randomBytes(4).toString('hex'),
      batchSize: 50,
      sharedPerBatch: 5,
      intervalMs: 300,
      retractEvery: 10,
    });
    load.start();
    try {
      await waitFor(() => load.stats.batches >= 10, 'load under way', 30_000);

      await pg.stop('immediate');
      const stoppedAt = Date.now();
      const before = load.stats.batches;
      // Both processes stay up and say they are not ready.
      await waitFor(async () => !(await stack.api.ready()) && !(await stack.worker.ready()), 'readiness reports the outage', 8_000);
      expect(stack.api.running && stack.worker.running).toBe(true);
      await sleep(stoppedAt + OUTAGE_SECONDS * 1000 - Date.now());
      expect(load.stats.batches - before).toBeLessThanOrEqual(members.length); // at most the commits already under way
      await pg.start();
      await waitFor(async () => (await stack.api.ready()) && (await stack.worker.ready()), 'ready again', 30_000);
      await waitFor(() => load.stats.batches >= before + 10, 'submissions acknowledged again', 30_000);
      await stack.reconnect();
      // The relay's LISTEN connection (commits wake it through NOTIFY) is back too.
      await waitFor(
        async () =>
          (await stack.db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN sigfed_outbox'`))
            .rowCount === 1,
        'outbox relay listening again',
        15_000,
      );
      await load.stop(60_000);

      await stack.drained(60_000);
      expect(load.stats.refused).toEqual([]);
      // The clients felt the outage (and retried through it).
      expect(stack.failedRequests).toBeGreaterThan(0);
      const report = await stack.assertInvariants({ acknowledged: load.acknowledged });
      expect(report.alerts).toBeGreaterThan(0);
      expect(report.succeeded).toBeGreaterThan(0);
      // Nobody restarted anything.
      expect([stack.api.starts, stack.worker.starts, stack.api.running, stack.worker.running]).toEqual([1, 1, true, true]);
    } finally {
      await load.stop(5_000).catch(() => undefined);
    }
  });
});
