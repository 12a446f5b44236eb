import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndicatorType, PrismaService } from '@app/database';
import { IndicatorsService } from '@app/indicators';
import { TestContext } from './support/context.js';
import { childEnv, distEntry, RunningProcess } from './support/processes.js';
import { outboxDrained } from './support/wait.js';
import { freePort } from '@app/common';

const tok = (label: string) => createHash('sha256').update(label).digest('hex');

/**
 * The path from a committed submission to its alerts survives a dead worker:
 * submissions commit while no worker runs (or after one was SIGKILLed), and
 * the alerts appear once a worker starts, exactly once.
 */
describe('an accepted submission produces its alerts even if the worker was dead at commit', () => {
  let ctx: TestContext;
  let prisma: PrismaService;
  beforeAll(async () => {
    ctx = await TestContext.start();
    // Counts across members: as the tables' owner, not the API's row-level-secured role.
    prisma = ctx.db;
  });
  afterAll(async () => ctx?.close());

  const startWorker = async () => {
    const port = await freePort();
    const worker = RunningProcess.start(
      distEntry('apps/worker/src/main.js'),
      [],
      childEnv({ WORKER_PORT: String(port), HOST: '127.0.0.1', OUTBOX_POLL_MS: '100' }),
    );
    await worker.waitForOk(`http://127.0.0.1:${port}/readyz`);
    return worker;
  };

  it('creates the alerts when a worker comes up after the commit, and again after a SIGKILL', async () => {
    const ids: string[] = [];
    for (const name of ['X', 'Y']) {
      const m = await prisma.member.create({ data: { name, clientId: `crash-${name}-${randomUUID()}`, status: 'ACTIVE' } });
      ids.push(m.id);
    }
    const indicators = ctx.app.get(IndicatorsService);
    const items = (label: string) =>
      Array.from({ length: 200 }, (_, i) => ({ type: 'IP_RANGE' as IndicatorType, token: tok(`${label}-${i}`), keyEpoch: 'e1' }));

    // No worker is running: both submissions commit, their outbox events wait.
    await indicators.submit(ids[0], { idempotencyKey: 'crash-first-1', indicators: items('shared') });
    await indicators.submit(ids[1], { idempotencyKey: 'crash-first-2', indicators: items('shared') });
    expect(await prisma.alert.count()).toBe(0);

    let worker = await startWorker();
    try {
      await outboxDrained(prisma, 30_000);
      expect(await prisma.alert.count()).toBe(400);
      // A worker killed outright, with new submissions committed while it is gone.
      worker.kill('SIGKILL');
      await worker.exited;
      await indicators.submit(ids[0], { idempotencyKey: 'crash-second-1', indicators: items('again') });
      await indicators.submit(ids[1], { idempotencyKey: 'crash-second-2', indicators: items('again') });
      worker = await startWorker();
      await outboxDrained(prisma, 30_000);
      expect(await prisma.alert.count()).toBe(800);
      expect(await prisma.match.count({ where: { status: 'OPEN' } })).toBe(400);
    } finally {
      worker.kill('SIGTERM');
      await worker.exited;
    }
  });
});
