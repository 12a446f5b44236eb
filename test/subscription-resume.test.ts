import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEventRetention } from '@app/correlation';
import { SigfedClient, SigfedStreamError, type AlertEvent, type AlertEventStream, type ReconnectInfo } from '@app/sdk';
import { TestContext, type TestMember, testToken } from './support/context.js';
import { WsConnection } from './support/subscriber.js';
import { outboxDrained, until } from './support/wait.js';
import { startWorker } from './support/webhooks.js';

/** Access tokens live this long here, so a test sees them expire (the variable's floor is 60 s). */
const TOKEN_TTL_SECONDS = 3;
/** Token requests are held this long, so alerts surely happen while the stream is disconnected. */
const TOKEN_DELAY_MS = 400;

/** A stream being read into `events` in the background, as an integrator's loop would. */
interface Reading {
  stream: AlertEventStream;
  events: AlertEvent[];
  reconnects: (ReconnectInfo & { at: number })[];
  done: Promise<unknown>;
}

describe('alertEvents across token renewal and reconnects', () => {
  let api: TestContext;
  let worker: INestApplication;
  const readings: Reading[] = [];

  const clientOf = (member: TestMember, tokenDelayMs = 0) =>
    new SigfedClient({
      baseUrl: api.url,
      clientId: member.clientId,
      privateJwk: member.privateJwk,
      fetch: async (input, init) => {
        if (tokenDelayMs && String(input).endsWith('/oauth/token')) await new Promise((r) => setTimeout(r, tokenDelayMs));
        return fetch(input, init);
      },
    });
  const read = (member: TestMember, after?: string, tokenDelayMs = 0): Reading => {
    const reconnects: Reading['reconnects'] = [];
    const stream = clientOf(member, tokenDelayMs).alertEvents({
      after,
      onReconnect: (info) => reconnects.push({ ...info, at: Date.now() }),
    });
    const events: AlertEvent[] = [];
    const done = (async () => {
      for await (const event of stream) events.push(event);
    })().then(
      () => undefined,
      (error: unknown) => error,
    );
    const reading = { stream, events, reconnects, done };
    readings.push(reading);
    return reading;
  };
  /** The member's events as the server recorded them, oldest first. */
  const recorded = (member: TestMember) => api.db.alertEvent.findMany({ where: { memberId: member.id }, orderBy: { seq: 'asc' } });
  const newAlert = (members: TestMember[], label: string) => api.shareToken(members, testToken(label));

  beforeAll(async () => {
    api = await TestContext.start();
    api.config.auth.accessTokenTtlSeconds = TOKEN_TTL_SECONDS;
    worker = await startWorker();
  });
  afterAll(async () => {
    for (const r of readings) await r.stream.close().catch(() => undefined);
    await worker?.close();
    await api?.close();
  });

  it('keeps one SDK subscription across two token expiries while alerts keep coming, losing and repeating nothing', async () => {
    const [lab, partner] = [await api.newMember(), await api.newMember()];
    const reading = read(lab, undefined, TOKEN_DELAY_MS);
    await new Promise((r) => setTimeout(r, 500 + TOKEN_DELAY_MS)); // subscribed

    let produced = 0;
    let producing = true;
    const producer = (async () => {
      while (producing) {
        await newAlert([lab, partner], `resume-${produced++}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await until(
      () => reading.reconnects.filter((r) => r.closeCode === 4401).length >= 2,
      'two token expiries',
      3 * TOKEN_TTL_SECONDS * 1000 + 5_000,
    );
    await new Promise((r) => setTimeout(r, 1_000)); // and events after the second one
    producing = false;
    await producer;
    await outboxDrained(api.db);

    const stored = await recorded(lab);
    expect(stored.length).toBe(produced);
    await until(() => reading.events.length >= stored.length, `all ${stored.length} events delivered`, 10_000);
    await new Promise((r) => setTimeout(r, 300)); // nothing more may come
    expect(reading.events.map((e) => e.id)).toEqual(stored.map((e) => e.seq.toString()));
    expect(reading.events.map((e) => e.alert.id)).toEqual(stored.map((e) => e.alertId));
    expect(reading.events.every((e) => e.type === 'alert.created' && e.version === 1)).toBe(true);

    // The stream lived through both expiries, with events before, between and after them.
    const expiries = reading.reconnects.filter((r) => r.closeCode === 4401).map((r) => r.at);
    expect(expiries.length).toBeGreaterThanOrEqual(2);
    const at = stored.map((e) => e.occurredAt.getTime());
    expect(at.some((t) => t < expiries[0])).toBe(true);
    expect(at.some((t) => t > expiries[0] && t < expiries[1])).toBe(true);
    expect(at.some((t) => t > expiries[1])).toBe(true);
    // ...and while it was away, fetching its next token: those came by replay.
    for (const expiry of expiries.slice(0, 2)) expect(at.some((t) => t > expiry && t < expiry + TOKEN_DELAY_MS)).toBe(true);
    expect(reading.reconnects.every((r) => r.closeCode === 4401 && r.delayMs === 0)).toBe(true);
  });

  it('resumes from after with exactly the events it missed, then live ones, and only its own', async () => {
    const [lab, partner] = [await api.newMember(), await api.newMember()];
    // More than nine: ids order as numbers, not as text.
    for (let i = 0; i < 12; i++) await newAlert([lab, partner], `missed-${i}`);
    await outboxDrained(api.db);
    const before = await recorded(lab);
    expect(before).toHaveLength(12);

    const reading = read(lab, before[0].seq.toString());
    await until(() => reading.events.length === 11, 'the eleven missed events replayed');
    await newAlert([lab, partner], 'live-after-resume');
    await until(() => reading.events.length === 12, 'the live event after them');
    const after = await recorded(lab);
    expect(reading.events.map((e) => e.id)).toEqual(after.slice(1).map((e) => e.seq.toString()));
    // The partner's events carry the same numbers (numbering is per member) but other alerts.
    const partners = new Set((await recorded(partner)).map((e) => e.alertId));
    expect(reading.events.some((e) => partners.has(e.alert.id))).toBe(false);

    // Under the query's own member filter, row-level security shows the API's role the scoped member's events only.
    const seen = await api.prisma.sqlAsMember(
      lab.id,
      async (db) => (await db.query<{ member_id: string }>({ text: 'SELECT member_id FROM alert_events' })).rows,
    );
    expect(new Set(seen.map((r) => r.member_id))).toEqual(new Set([lab.id]));
  });

  it('refuses a resume point past retention, or unknown, with RESUME_POINT_EXPIRED; a malformed one names after', async () => {
    const [lab, partner] = [await api.newMember(), await api.newMember()];
    await newAlert([lab, partner], 'old');
    await newAlert([lab, partner], 'newer');
    await outboxDrained(api.db);
    const [old] = await recorded(lab);
    const hours = api.config.subscriptions.eventRetentionHours;
    await api.db
      .$executeRaw`UPDATE alert_events SET occurred_at = now() - make_interval(hours => ${hours + 1}) WHERE member_id = ${lab.id}::uuid AND seq = ${old.seq}`;
    expect(await worker.get(AlertEventRetention).prune()).toBeGreaterThanOrEqual(1);

    for (const after of [old.seq.toString(), '999999']) {
      const reading = read(lab, after);
      const error = await reading.done;
      expect(error).toBeInstanceOf(SigfedStreamError);
      expect((error as SigfedStreamError).code).toBe('RESUME_POINT_EXPIRED');
      expect((error as SigfedStreamError).errors[0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'RESUME_POINT_EXPIRED',
        field: 'after',
        retentionHours: hours,
      });
    }

    const socket = await WsConnection.open(api, await lab.token());
    const answer = await socket.run('subscription($after: ID) { alertEvents(after: $after) { id } }', { after: 'latest' });
    await socket.dispose();
    expect(answer.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_RESUME_POINT', field: 'after' });
    expect(() => clientOf(lab).alertEvents({ after: 'latest' })).toThrow(/after must be the id of an alert event/);
  });

  it('ends the SDK stream with FORBIDDEN, not a reconnect loop, when the member is suspended', async () => {
    const [admin, lab, other] = [await api.newAdmin(), await api.newMember(), await api.newMember()];
    const reading = read(lab);
    // Subscribed once an alert made after the subscription arrives: new ones until one does, not a guessed sleep.
    for (let i = 0; reading.events.length === 0; i++) {
      if (i === 40) throw new Error('the stream received no alert event');
      await newAlert([lab, other], `suspended-stream-${i}`);
      await until(() => reading.events.length > 0, 'an alert event', 1_000).catch(() => undefined);
    }
    const suspended = await api.gql(
      'mutation($id: ID!) { suspendMember(id: $id, reason: "resume test") { status } }',
      { id: lab.id },
      await admin.token(),
    );
    expect(suspended.errors).toBeUndefined();
    const error = await reading.done;
    expect(error).toBeInstanceOf(SigfedStreamError);
    expect(error).toMatchObject({ code: 'FORBIDDEN', closeCode: 4403 });
    expect(reading.reconnects).toEqual([]);
  });
});
