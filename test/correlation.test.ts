import { createHash, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import type { IndicatorType, PrismaService } from '@app/database';
import { IndicatorsModule, IndicatorsService, type IndicatorInput } from '@app/indicators';
import { ExpiryService } from '@app/correlation';
import { CoreModule } from '@app/runtime';
import { WorkerModule } from '../apps/worker/src/worker.module.js';
import { ownerDb } from './support/context.js';
import { outboxDrained } from './support/wait.js';

/**
 * Submission through the service, correlation through the real outbox, relay,
 * BullMQ and worker, all against this file's own database and Redis prefix.
 */

const tok = (label: string) => createHash('sha256').update(label).digest('hex');
const item = (token: string, extra: Partial<IndicatorInput> = {}): IndicatorInput => ({
  type: 'ACCOUNT_SIGNAL' as IndicatorType,
  token,
  keyEpoch: '2026-q4',
  ...extra,
});

describe('correlation into alerts', () => {
  let app: INestApplication;
  let api: INestApplication;
  let prisma: PrismaService;
  let indicators: IndicatorsService;
  const members: Record<string, string> = {};

  const submit = (who: string, items: IndicatorInput[], key: string = randomUUID()) =>
    indicators.submit(members[who], { idempotencyKey: key, indicators: items });
  const alertsOf = async (who: string) =>
    prisma.alert.findMany({
      where: { memberId: members[who] },
      include: { match: true },
      orderBy: { createdAt: 'asc' },
    });

  beforeAll(async () => {
    const config = loadConfig({ ...process.env, OUTBOX_POLL_MS: '100', SUBMISSION_MEMBER_CONCURRENCY: '4' });
    const ref = await Test.createTestingModule({ imports: [WorkerModule.forRoot(config)] }).compile();
    app = ref.createNestApplication({ logger: false });
    await app.init();
    // The API side in an application of its own, so that it connects as the API's role (sigfed_api), the worker as sigfed_worker.
    const apiRef = await Test.createTestingModule({ imports: [CoreModule.forRoot(config, 'api'), IndicatorsModule] }).compile();
    api = apiRef.createNestApplication({ logger: false });
    await api.init();
    // Assertions look across members: as the tables' owner.
    prisma = await ownerDb(config);
    indicators = api.get(IndicatorsService);
    for (const name of ['A', 'B', 'C', 'D']) {
      const m = await prisma.member.create({
        data: { name: `Lab ${name}`, clientId: `test-${name}-${randomUUID()}`, status: 'ACTIVE' },
      });
      members[name] = m.id;
    }
  });
  afterAll(async () => {
    await api?.close();
    await app?.close();
    await prisma?.$disconnect();
  });

  it('alerts every holder of a token that two members hold, with the right counts', async () => {
    const shared = tok('shared-1');
    await submit('A', [item(shared, { externalRef: 'A-case-1' }), item(tok('only-A'))]);
    await submit('B', [item(shared, { externalRef: 'B-case-9' })]);
    await submit('C', [item(tok('only-C'))]);
    await outboxDrained(prisma);

    const [a, b, c] = [await alertsOf('A'), await alertsOf('B'), await alertsOf('C')];
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(c).toHaveLength(0);
    expect(a[0]).toMatchObject({ status: 'OPEN', otherHolders: 1, version: 1 });
    expect(Buffer.from(a[0].match!.token).toString('hex')).toBe(shared);
    expect(a[0].matchId).toBe(b[0].matchId);
    expect(a[0].match).toMatchObject({ status: 'OPEN', holderCount: 2 });
  });

  it('updates existing alerts (not duplicates) when a third member joins', async () => {
    const shared = tok('shared-2');
    await submit('A', [item(shared)]);
    await submit('B', [item(shared)]);
    await outboxDrained(prisma);
    await submit('C', [item(shared)]);
    await outboxDrained(prisma);
    for (const who of ['A', 'B', 'C']) {
      const mine = (await alertsOf(who)).filter((x) => Buffer.from(x.match!.token).toString('hex') === shared);
      expect(mine, who).toHaveLength(1);
      expect(mine[0].otherHolders, who).toBe(2);
    }
    const a = (await alertsOf('A')).find((x) => Buffer.from(x.match!.token).toString('hex') === shared)!;
    expect(a.version).toBe(2);
  });

  it('matches only within the same type and key epoch', async () => {
    const t = tok('epoch-bound');
    await submit('A', [item(t, { keyEpoch: '2026-q3' })]);
    await submit('B', [item(t, { keyEpoch: '2026-q4' })]);
    await submit('C', [item(t, { type: 'IP_RANGE' as IndicatorType, keyEpoch: '2026-q3' })]);
    await outboxDrained(prisma);
    const count = await prisma.match.count({ where: { token: Buffer.from(t, 'hex'), status: 'OPEN' } });
    expect(count).toBe(0);
  });

  it('closes the alerts when a retraction drops the match below k', async () => {
    const t = tok('retracted');
    await submit('A', [item(t)]);
    await submit('B', [item(t)]);
    await outboxDrained(prisma);
    expect(await indicators.retract(members.B, { type: 'ACCOUNT_SIGNAL' as IndicatorType, keyEpoch: '2026-q4', tokens: [t] })).toEqual({
      retracted: 1,
    });
    await outboxDrained(prisma);
    const match = await prisma.match.findFirstOrThrow({ where: { token: Buffer.from(t, 'hex') }, include: { alerts: true } });
    expect(match.status).toBe('CLOSED');
    expect(match.alerts.map((x) => x.status)).toEqual(['CLOSED', 'CLOSED']);
  });

  it('closes the alerts when a record expires and the sweep runs', async () => {
    const t = tok('expiring');
    await submit('A', [item(t)]);
    await submit('B', [item(t)]);
    await outboxDrained(prisma);
    expect((await prisma.match.findFirstOrThrow({ where: { token: Buffer.from(t, 'hex') } })).status).toBe('OPEN');
    // B's record expires: set its expiry in the past rather than waiting for it.
    await prisma.$executeRaw`UPDATE indicators SET expires_at = now() - interval '1 second'
                              WHERE token = ${Buffer.from(t, 'hex')} AND member_no = (SELECT member_no FROM members WHERE id = ${members.B}::uuid)`;
    expect(await app.get(ExpiryService).sweep()).toBeGreaterThanOrEqual(1);
    await outboxDrained(prisma);
    const match = await prisma.match.findFirstOrThrow({ where: { token: Buffer.from(t, 'hex') }, include: { alerts: true } });
    expect(match.status).toBe('CLOSED');
    expect(match.alerts.every((x) => x.status === 'CLOSED')).toBe(true);
  });

  it('never alerts on a suppressed token', async () => {
    const t = tok('benign-nat');
    await prisma.suppressedToken.create({
      data: { type: 'ACCOUNT_SIGNAL', keyEpoch: '2026-q4', token: Buffer.from(t, 'hex'), reason: 'shared NAT' },
    });
    await submit('A', [item(t)]);
    await submit('B', [item(t)]);
    await outboxDrained(prisma);
    expect(await prisma.alert.count({ where: { match: { token: Buffer.from(t, 'hex') } } })).toBe(0);
  });

  it('returns the first result for a retried idempotency key and stores nothing twice, also concurrently', async () => {
    const key = `retry-${randomUUID()}`;
    const batch = [item(tok('idem-1')), item(tok('idem-2')), item(tok('idem-1'))];
    const results = await Promise.all([1, 2, 3, 4].map(() => submit('D', batch, key)));
    expect(new Set(results.map((r) => r.submissionId)).size).toBe(1);
    expect(results[0]).toMatchObject({ accepted: 2, duplicates: 1 });
    expect(await prisma.submission.count({ where: { memberId: members.D, idempotencyKey: key } })).toBe(1);
    await expect(submit('D', [item(tok('other'))], key)).rejects.toThrow(/already used for a different batch/);
  });

  it('counts a token the member still holds as a duplicate, and an expired one renewed as accepted', async () => {
    const [held, expired, fresh] = [tok('held-1'), tok('expired-1'), tok('fresh-1')];
    expect(await submit('C', [item(held), item(expired)])).toMatchObject({ accepted: 2, duplicates: 0 });
    await prisma.$executeRaw`UPDATE indicators SET expires_at = now() - interval '1 second'
                              WHERE member_no = (SELECT member_no FROM members WHERE id = ${members.C}::uuid) AND token = ${Buffer.from(expired, 'hex')}`;
    expect(await submit('C', [item(held), item(expired), item(fresh), item(fresh)])).toMatchObject({ accepted: 2, duplicates: 2 });
    const renewed = await prisma.indicator.findFirstOrThrow({ where: { member: { id: members.C }, token: Buffer.from(expired, 'hex') } });
    expect(renewed.expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect(renewed.firstSeenAt.getTime()).toBe(renewed.lastSeenAt.getTime());
    await outboxDrained(prisma);
  });

  it('refuses an invalid or oversized batch and leaves the database unchanged', async () => {
    const before = await prisma.indicator.count();
    const bad = [item(tok('ok-1')), item(tok('ok-2'), { keyEpoch: 'Bad Epoch' }), item(tok('ok-3'), { confidence: 101 })];
    await expect(submit('D', bad)).rejects.toMatchObject({
      problems: [
        { field: 'indicators.1.keyEpoch', rule: 'matches' },
        { field: 'indicators.2.confidence', rule: 'range' },
      ],
    });
    const huge = Array.from({ length: 10_001 }, (_, i) => item(tok(`big-${i}`)));
    await expect(submit('D', huge)).rejects.toMatchObject({ problems: [{ field: 'indicators', rule: 'arrayMaxSize' }] });
    expect(await prisma.indicator.count()).toBe(before);
  });

  it('stores a full 10,000-item batch in one call', async () => {
    const big = Array.from({ length: 10_000 }, (_, i) => item(tok(`bulk-${i}`)));
    const started = Date.now();
    const result = await submit('D', big);
    expect(result).toMatchObject({ accepted: 10_000, duplicates: 0 });
    expect(Date.now() - started).toBeLessThan(20_000);
    await outboxDrained(prisma, 30_000);
  });
});
