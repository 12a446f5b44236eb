import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, projectRoot } from '@app/common';
import { TestContext, type TestMember, testToken } from '../support/context.js';
import { childEnv, distEntry, RunningProcess } from '../support/processes.js';
import { until } from '../support/wait.js';
import { startWorker, WebhookReceiver } from '../support/webhooks.js';

const CLI = distEntry('apps/cli/src/main.js');

/**
 * `listen --forward-to`: a lab's local receiver gets its live alert events,
 * signed per Standard Webhooks with the secret listen printed, across a
 * token expiry (the shortest lifetime the server allows, 60 s).
 */
describe('sigfed listen --forward-to', () => {
  let ctx: TestContext;
  let worker: INestApplication;
  let receiver: WebhookReceiver;
  let admin: TestMember;
  let a: TestMember;
  let b: TestMember;
  let listen: RunningProcess;
  let secret: string;
  const others: RunningProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'sigfed-listen-'));

  const alertIdOf = async (member: TestMember, token: string) =>
    (await ctx.db.alert.findFirstOrThrow({ where: { memberId: member.id, match: { token: Buffer.from(token, 'hex') } } })).id;
  const verified = () =>
    receiver
      .at('/local')
      .map(
        (r) => new Webhook(secret).verify(r.body, r.headers) as { type: string; timestamp: string; data: { id: string; token: string } },
      );

  beforeAll(async () => {
    ctx = await TestContext.start({ ACCESS_TOKEN_TTL_SECONDS: '60' });
    worker = await startWorker();
    receiver = await WebhookReceiver.start();
    admin = await ctx.newAdmin();
    a = await ctx.newMember({ name: 'Listening Lab' });
    b = await ctx.newMember({ name: 'Other Lab' });
    const credentials = join(dir, 'a.json');
    writeFileSync(credentials, JSON.stringify({ clientId: a.clientId, privateJwk: a.privateJwk, issuer: ctx.issuer }), { mode: 0o600 });
    listen = RunningProcess.start(CLI, ['listen', '--forward-to', receiver.url('/local'), '--credentials', credentials], childEnv());
    await until(() => listen.stderr.includes('listen: connected'), 'listen connected', 20_000);
    secret = /signing secret is (whsec_\S+)/.exec(listen.stderr)![1];
  });
  afterAll(async () => {
    listen?.kill();
    for (const other of others) other.kill();
    await receiver?.close();
    await worker?.close();
    await ctx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('POSTs each live event to the local URL, signed with the secret it printed, as the server signs deliveries', async () => {
    const token = testToken('listen-1');
    await ctx.shareToken([a, b], token);
    await until(() => receiver.at('/local').length === 1, 'the forwarded event');
    const [request] = receiver.at('/local');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['webhook-id']).toMatch(/^msg_/);
    const [event] = verified();
    expect(event).toMatchObject({ type: 'alert.created', data: { id: await alertIdOf(a, token), token } });
    expect(Object.keys(JSON.parse(request.body) as object)).toEqual(['type', 'timestamp', 'data']);
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(request.body, request.headers)).toThrow();
    const line = `alert.created   ${event.data.id}  --> POST ${receiver.url('/local')} [204]`;
    await until(() => listen.stdout.includes(line), 'the forwarded line');
  });

  it("feeds the integration guide's receiver, unchanged, with the secret given by --secret", { timeout: 60_000 }, async () => {
    const guide = readFileSync(join(projectRoot(), 'docs', 'integration-guide.md'), 'utf8');
    const code = /```js\n(\/\/ receiver\.mjs[\s\S]*?)```/.exec(guide)![1];
    const port = await freePort();
    const ownSecret = `whsec_${randomBytes(32).toString('base64')}`;
    const guideReceiver = RunningProcess.command(process.execPath, ['--input-type=module', '--eval', code], {
      PATH: process.env.PATH,
      PORT: String(port),
      WEBHOOK_SECRET: ownSecret,
    });
    others.push(guideReceiver);
    await until(() => guideReceiver.stderr.includes('listening on'), 'the guide receiver', 20_000);
    const credentials = join(dir, 'b.json');
    writeFileSync(credentials, JSON.stringify({ clientId: b.clientId, privateJwk: b.privateJwk, issuer: ctx.issuer }), { mode: 0o600 });
    const listenB = RunningProcess.start(
      CLI,
      ['listen', '--forward-to', `http://127.0.0.1:${port}/`, '--secret', ownSecret, '--credentials', credentials],
      childEnv(),
    );
    others.push(listenB);
    await until(() => listenB.stderr.includes('listen: connected'), 'listen for B connected', 20_000);
    expect(listenB.stderr).toContain(`signing secret is ${ownSecret}`);

    const token = testToken('listen-guide');
    await ctx.shareToken([a, b], token);
    await until(() => guideReceiver.stdout.includes('"type":"alert.created"'), 'the guide receiver logged the event');
    const logged = JSON.parse(guideReceiver.stdout.trim().split('\n')[0]) as { type: string; alert: string; version: number };
    expect(logged).toMatchObject({ type: 'alert.created', alert: await alertIdOf(b, token), version: 1 });
    await until(() => listenB.stdout.includes('[204]'), 'listen for B reported the answer');
    await until(() => receiver.at('/local').length === 2, "A's listener got its own event of that token too");
  });

  it('reconnects with a fresh token when the server closes at expiry (4401) and goes on forwarding', { timeout: 120_000 }, async () => {
    await until(() => listen.stderr.includes('token expired; reconnecting'), 'the 4401 at token expiry', 80_000);
    await until(() => listen.stderr.split('listen: connected').length === 3, 'connected again', 20_000);
    const token = testToken('listen-2');
    await ctx.shareToken([a, b], token);
    await until(() => receiver.at('/local').length === 3, 'the event after the reconnect');
    expect(verified()[2]).toMatchObject({ type: 'alert.created', data: { id: await alertIdOf(a, token) } });
  });

  it('stops with exit status 2 when the member is suspended (4403)', async () => {
    const res = await ctx.gql(
      'mutation($id: ID!) { suspendMember(id: $id, reason: "listen test") { status } }',
      { id: a.id },
      await admin.token(),
    );
    expect(res.errors).toBeUndefined();
    const finished = await listen.exited;
    expect(finished.code).toBe(2);
    expect(finished.stderr).toMatch(/sigfed listen: the server ended the subscription: .*\(4403/);
  });
});
