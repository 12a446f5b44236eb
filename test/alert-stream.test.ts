import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeyService } from '@app/auth';
import type { IndicatorType } from '@app/database';
import { IndicatorsService } from '@app/indicators';
import { TestContext, type TestMember, testToken } from './support/context.js';
import { Subscriber } from './support/subscriber.js';
import { until } from './support/wait.js';
import { startWorker } from './support/webhooks.js';

describe('alertEvents subscription', () => {
  let api: TestContext;
  let api2: TestContext;
  let worker: INestApplication;
  const subscribers: Subscriber[] = [];
  const open = async (ctx: TestContext, token: string) => {
    const s = await Subscriber.open(ctx, token);
    subscribers.push(s);
    return s;
  };
  const alertOf = async (member: TestMember, token: string) =>
    api.db.alert.findFirstOrThrow({ where: { memberId: member.id, match: { token: Buffer.from(token, 'hex') } } });

  beforeAll(async () => {
    api = await TestContext.start({ SUBSCRIPTION_RECHECK_SECONDS: '1' });
    // A second API process: fan-out goes through Redis, so it sees the same events.
    api2 = await TestContext.start({ SUBSCRIPTION_RECHECK_SECONDS: '1', PUBLIC_BASE_URL: api.url });
    worker = await startWorker();
  });
  afterAll(async () => {
    for (const s of subscribers) await s.dispose().catch(() => undefined);
    await worker?.close();
    await api2?.close();
    await api?.close();
  });

  it("delivers a member's own alert events, on every API process, and never another member's", async () => {
    const [a, b, c, d] = [await api.newMember(), await api.newMember(), await api.newMember(), await api.newMember()];
    const tokenA = await a.token();
    const [onA, onA2, onB, onC] = [
      await open(api, tokenA),
      await open(api2, tokenA),
      await open(api, await b.token()),
      await open(api2, await c.token()),
    ];
    const shared = testToken('stream-ab');
    const other = testToken('stream-cd');
    await api.shareToken([a, b], shared);
    await api.shareToken([c, d], other);

    await until(
      () => onA.events.length === 1 && onA2.events.length === 1 && onB.events.length === 1 && onC.events.length === 1,
      'one event each',
    );
    const [alertA, alertB, alertC] = [await alertOf(a, shared), await alertOf(b, shared), await alertOf(c, other)];
    expect(onA.events[0]).toMatchObject({ type: 'alert.created', alert: { id: alertA.id, version: 1, status: 'OPEN' } });
    expect(onA2.events[0]).toEqual(onA.events[0]);
    expect(onB.events[0].alert.id).toBe(alertB.id);
    expect(onC.events[0].alert.id).toBe(alertC.id);

    // B leaves: A's alert closes, B's too; C sees none of it.
    await api.app.get(IndicatorsService).retract(b.id, { type: 'ACCOUNT_SIGNAL' as IndicatorType, keyEpoch: '2026-q4', tokens: [shared] });
    await until(() => onA.events.length === 2 && onB.events.length === 2, 'closing events');
    expect(onA.events[1]).toMatchObject({ type: 'alert.closed', alert: { id: alertA.id, version: 2, status: 'CLOSED' } });
    expect(onB.events[1].alert.id).toBe(alertB.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(onC.events).toHaveLength(1);
    for (const s of [onA, onA2, onB, onC]) expect(s.errors).toEqual([]);
  });

  it('refuses a connection without a token (4403), and one with a bad token (4401)', async () => {
    const bare = new Subscriber(api, {});
    subscribers.push(bare);
    await until(() => bare.closed !== undefined, 'closed');
    expect(bare.closed!.code).toBe(4403);

    const forged = new Subscriber(api, { authorization: 'Bearer not.a.token' });
    subscribers.push(forged);
    await until(() => forged.closed !== undefined, 'closed');
    expect(forged.closed!.code).toBe(4401);
    expect(forged.events).toEqual([]);
  });

  it('closes the connection when the access token expires (4401)', async () => {
    const member = await api.newMember();
    // A token like the token endpoint issues, but living two seconds.
    const { kid, key } = await api.app.get(SigningKeyService).signer();
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ client_id: member.clientId, role: 'MEMBER', key_id: member.kid })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid })
      .setIssuer(api.issuer)
      .setAudience(api.issuer)
      .setSubject(member.id)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 2)
      .sign(key);
    const s = await open(api, token);
    expect(s.closed).toBeUndefined();
    await until(() => s.closed !== undefined, 'closed at expiry', 5_000);
    expect(s.closed).toMatchObject({ code: 4401, reason: 'access token expired' });
  });

  it('closes the connection when the member is suspended (4403)', async () => {
    const member = await api.newMember();
    const s = await open(api, await member.token());
    await api.prisma.member.update({ where: { id: member.id }, data: { status: 'SUSPENDED', suspendedAt: new Date() } });
    await until(() => s.closed !== undefined, 'closed after suspension', 5_000);
    expect(s.closed!.code).toBe(4403);
  });
});
