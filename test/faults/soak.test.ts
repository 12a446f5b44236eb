import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../reliability/invariants.js';
import type { SoakResult } from '../../reliability/soak.js';
import { distEntry, runNode } from '../support/processes.js';

/**
 * The soak script (`npm run soak`), run for a few seconds so that it cannot
 * rot: compiled API and worker, members submitting through the API, one
 * receiver failing half the time. Then the invariant checker it relies on is
 * shown to notice a lost delivery, a missing alert and a doubled event.
 */
describe('npm run soak', () => {
  const fileDatabase = new URL(process.env.DATABASE_URL!);
  const database = `${fileDatabase.pathname.slice(1)}_soak`; // dropped with the run's other test databases
  const server = `${fileDatabase.protocol}//${fileDatabase.username}@${fileDatabase.host}`;
  const json = join(process.env.DATA_DIR!, 'soak.json');
  let runDir: string | undefined;

  afterAll(() => {
    if (runDir) rmSync(runDir, { recursive: true, force: true });
  });

  it('runs the compiled soak for a few seconds and reports nothing lost', { timeout: 150_000 }, async () => {
    const args = ['--seconds', '8', '--members', '3', '--interval-ms', '500', '--drain-seconds', '90'];
    const run = await runNode(
      distEntry('reliability/soak.js'),
      [...args, '--server', server, '--database', database, '--redis-prefix', `${process.env.REDIS_PREFIX}:soak`, '--json', json, '--keep'],
      { PATH: process.env.PATH, REDIS_URL: process.env.REDIS_URL },
      140_000,
    );
    runDir = /logs in (\S+)/.exec(run.stdout)?.[1];
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/^lost\s+0$/m);
    expect(run.stdout).toMatch(/RSS\s+api .* MB\/min/);

    const result = JSON.parse(readFileSync(json, 'utf8')) as SoakResult;
    expect(result.ok).toBe(true);
    expect(result.load.batches).toBeGreaterThan(10);
    expect(result.invariants.alerts).toBeGreaterThan(0);
    expect(result.invariants.succeeded).toBe(result.invariants.alertEvents);
    expect(result.invariants.retries).toBeGreaterThan(0); // the receiver failing half the time
    expect(result.invariants.lost).toBe(0);
    expect(result.samples.length).toBeGreaterThan(3);
    expect(result.samples.every((s) => s.rss.api! > 0 && s.rss.worker! > 0)).toBe(true);
  });

  it('its checker notices a lost delivery, a missing alert and an alert change announced twice', { timeout: 30_000 }, async () => {
    const db = new pg.Client({ connectionString: `${server}/${database}` });
    await db.connect();
    try {
      const clean = await checkInvariants(db, { attemptsAllowed: 20 });
      expect(clean.problems).toEqual({});

      await db.query(`DELETE FROM webhook_deliveries WHERE id = (SELECT id FROM webhook_deliveries LIMIT 1)`);
      await db.query(`DELETE FROM alerts WHERE id = (SELECT id FROM alerts WHERE status = 'OPEN' AND version = 1 LIMIT 1)`);
      await db.query(`INSERT INTO outbox_events (topic, payload, processed_at)
                      SELECT topic, payload, now() FROM outbox_events WHERE topic = 'alerts.changed' LIMIT 1`);
      const broken = await checkInvariants(db, { attemptsAllowed: 20 });
      expect(broken.lost).toBeGreaterThanOrEqual(1);
      expect(Object.keys(broken.problems)).toEqual(
        expect.arrayContaining([
          'lost: alert event not delivered',
          'holder of a match without an OPEN alert',
          'alert change announced more than once',
        ]),
      );
    } finally {
      await db.end();
    }
  });
});
