import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashIndicator, TEST_FEDERATION_KEY_HEX } from '@app/sdk';
import { TestContext, type TestMember, testToken } from '../support/context.js';
import { newKeyPair } from '../support/oauth.js';
import { childEnv, distEntry, runNode } from '../support/processes.js';
import { until } from '../support/wait.js';
import { startWorker, WebhookReceiver } from '../support/webhooks.js';

const CLI = distEntry('apps/cli/src/main.js');
const POLICY = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' };

/** The member commands run as a lab runs them: a process with a credentials file, against the API. */
describe('member and admin commands of the CLI', () => {
  let ctx: TestContext;
  let worker: INestApplication;
  let receiver: WebhookReceiver;
  let admin: TestMember;
  let a: TestMember;
  let b: TestMember;
  const dir = mkdtempSync(join(tmpdir(), 'sigfed-member-commands-'));
  const files: Record<string, string> = {};

  const writeCredentials = (name: string, member: TestMember) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify({ clientId: member.clientId, privateJwk: member.privateJwk, issuer: ctx.issuer }), { mode: 0o600 });
    files[name] = path;
    return path;
  };
  const run = (args: string[]) => runNode(CLI, args, childEnv(), 60_000);
  /** Runs a command that must succeed; returns stdout. */
  const ok = async (...args: string[]) => {
    const result = await run(args);
    expect(result.code, `${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
    return result.stdout;
  };
  /** Runs with --json (before any `--`) and parses the one object printed. */
  const okJson = async <T>(...args: string[]): Promise<T> => {
    const end = args.includes('--') ? args.indexOf('--') : args.length;
    return JSON.parse(await ok(...args.slice(0, end), '--json', ...args.slice(end))) as T;
  };
  const jsonLines = <T>(text: string): T[] =>
    text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as T);

  beforeAll(async () => {
    ctx = await TestContext.start(POLICY);
    worker = await startWorker({ ...POLICY, WEBHOOK_RETRY_SCHEDULE: '0,150ms' });
    receiver = await WebhookReceiver.start();
    admin = await ctx.newAdmin({ name: 'Operator' });
    a = await ctx.newMember({ name: 'Lab A' });
    b = await ctx.newMember({ name: 'Lab B' });
    writeCredentials('admin', admin);
    writeCredentials('a', a);
    writeCredentials('b', b);
  });
  afterAll(async () => {
    await receiver?.close();
    await worker?.close();
    await ctx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keys: lists, adds and revokes keys; refusals exit 2 naming the reason', async () => {
    const listed = jsonLines<{ kid: string; status: string }>(await ok('keys', 'list', '--credentials', files.b, '--json'));
    expect(listed).toEqual([expect.objectContaining({ kid: b.kid, status: 'ACTIVE' })]);

    const second = await newKeyPair('ES256');
    const jwkFile = join(dir, 'second.pub.json');
    writeFileSync(jwkFile, JSON.stringify(second.publicJwk));
    const added = await okJson<{ kid: string; alg: string; status: string }>(
      'keys',
      'add',
      '--public-jwk',
      jwkFile,
      '--credentials',
      files.b,
    );
    expect(added).toMatchObject({ kid: second.kid, alg: 'ES256', status: 'ACTIVE' });

    const revoked = await okJson<{ kid: string; status: string }>('keys', 'revoke', '--credentials', files.b, '--', second.kid);
    expect(revoked).toMatchObject({ kid: second.kid, status: 'REVOKED' });
    // A kid can start with "-": after "--" it is never taken for an option.
    const last = await run(['keys', 'revoke', '--credentials', files.b, '--', b.kid]);
    expect(last.code).toBe(2);
    expect(last.stderr).toMatch(/^sigfed keys revoke: .+ \(CONFLICT, LAST_ACTIVE_KEY\)\n$/);

    const privateFile = join(dir, 'private.json');
    writeFileSync(privateFile, JSON.stringify(second.privateJwk));
    const refusedLocally = await run(['keys', 'add', '--public-jwk', privateFile, '--credentials', files.b]);
    expect(refusedLocally).toMatchObject({ code: 1, stdout: '' });
    expect(refusedLocally.stderr).toContain('holds a private key ("d"); give the public JWK only');
    const noCredentials = await run(['keys', 'list']);
    expect(noCredentials.code).toBe(1);
    expect(noCredentials.stderr).toBe('sigfed keys list: --credentials <path> (or SIGFED_CREDENTIALS) is required\n');
  });

  it('rotate-key: switches the credentials file to a new key and revokes the old one', async () => {
    const lab = await ctx.newMember({ name: 'Rotating Lab' });
    const path = writeCredentials('rotating', lab);
    const rotated = await okJson<{ credentials: string; newKey: { kid: string; status: string }; oldKey: { kid: string; status: string } }>(
      'rotate-key',
      '--credentials',
      path,
      '--alg',
      'ES256',
    );
    expect(rotated.oldKey).toEqual(expect.objectContaining({ kid: lab.kid, status: 'REVOKED' }));
    expect(rotated.newKey.kid).not.toBe(lab.kid);

    const file = JSON.parse(readFileSync(path, 'utf8')) as {
      clientId: string;
      privateJwk: { kid: string; kty: string; crv: string };
      issuer: string;
    };
    expect(file).toMatchObject({
      clientId: lab.clientId,
      issuer: ctx.issuer,
      privateJwk: { kid: rotated.newKey.kid, kty: 'EC', crv: 'P-256' },
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(existsSync(`${path}.new`) || existsSync(`${path}.bak`)).toBe(false);

    // The file works with the new key; the old key obtains nothing any more.
    const keys = jsonLines<{ kid: string; status: string }>(await ok('keys', 'list', '--credentials', path, '--json'));
    expect(keys.map((k) => [k.kid, k.status]).sort()).toEqual(
      [
        [lab.kid, 'REVOKED'],
        [rotated.newKey.kid, 'ACTIVE'],
      ].sort(),
    );
    await expect(lab.token()).rejects.toThrow(/invalid_client/);
  });

  it('rotate-key: a left-over backup stops it before the switch, with the old file in force and the new key withdrawn', async () => {
    const lab = await ctx.newMember({ name: 'Interrupted Lab' });
    const path = writeCredentials('interrupted', lab);
    const before = readFileSync(path, 'utf8');
    writeFileSync(`${path}.bak`, 'from an earlier run');
    const stopped = await run(['rotate-key', '--credentials', path]);
    expect(stopped).toMatchObject({ code: 1, stdout: '' });
    expect(stopped.stderr).toBe(`sigfed rotate-key: ${path}.bak exists (left by an earlier rotation?); move it away and run again\n`);
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(readFileSync(`${path}.bak`, 'utf8')).toBe('from an earlier run');
    expect(existsSync(`${path}.new`)).toBe(false);
    const keys = jsonLines<{ kid: string; status: string }>(await ok('keys', 'list', '--credentials', path, '--json'));
    expect(keys.filter((k) => k.status === 'ACTIVE').map((k) => k.kid)).toEqual([lab.kid]);
    expect(keys).toHaveLength(2);
  });

  it('retract, alert show and alert acknowledge: from raw values to a verdict', async () => {
    const csv = join(dir, 'shared.csv');
    writeFileSync(csv, 'type,value\nACCOUNT_SIGNAL,shared-account@cli.example\n');
    const keyFile = join(dir, 'federation.key');
    writeFileSync(keyFile, TEST_FEDERATION_KEY_HEX, { mode: 0o600 });
    for (const lab of [files.a, files.b])
      await ok('submit', '--file', csv, '--epoch', '2026-q4', '--credentials', lab, '--key-file', keyFile);
    const [{ token }] = hashIndicator(TEST_FEDERATION_KEY_HEX, 'ACCOUNT_SIGNAL', 'shared-account@cli.example');

    type Alert = { id: string; token: string; status: string; verdict: string | null; verdictNote: string | null };
    let alertsOfA: Alert[] = [];
    await until(async () => {
      alertsOfA = jsonLines<Alert>(await ok('alerts', '--credentials', files.a, '--json')).filter((x) => x.token === token);
      return alertsOfA.length === 1;
    }, "A's alert");
    const shown = await okJson<Alert & { otherHolderCount: number }>('alert', 'show', alertsOfA[0].id, '--credentials', files.a);
    expect(shown).toMatchObject({ id: alertsOfA[0].id, token, status: 'OPEN', otherHolderCount: 1, verdict: null });
    const human = await ok('alert', 'show', alertsOfA[0].id, '--credentials', files.a);
    expect(human).toMatch(new RegExp(`^id +${alertsOfA[0].id}$`, 'm'));

    const acknowledged = await okJson<Alert>(
      'alert',
      'acknowledge',
      alertsOfA[0].id,
      '--verdict',
      'confirmed_abuse',
      '--note',
      'case 42',
      '--credentials',
      files.a,
    );
    expect(acknowledged).toMatchObject({ id: alertsOfA[0].id, verdict: 'CONFIRMED_ABUSE', verdictNote: 'case 42' });
    const badVerdict = await run(['alert', 'acknowledge', alertsOfA[0].id, '--verdict', 'maybe', '--credentials', files.a]);
    expect(badVerdict).toMatchObject({ code: 1, stdout: '' });
    expect(badVerdict.stderr).toBe('sigfed alert acknowledge: --verdict must be one of CONFIRMED_ABUSE, FALSE_POSITIVE, UNDER_REVIEW\n');
    // B cannot read A's alert: it does not exist for B.
    const foreign = await run(['alert', 'show', alertsOfA[0].id, '--credentials', files.b]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('NOT_FOUND');

    const retracted = await okJson<{ tokens: number; retracted: number }>(
      'retract',
      '--file',
      csv,
      '--epoch',
      '2026-q4',
      '--key-file',
      keyFile,
      '--credentials',
      files.b,
    );
    expect(retracted).toEqual({ tokens: 1, retracted: 1 });
    await until(
      async () => (await okJson<Alert>('alert', 'show', alertsOfA[0].id, '--credentials', files.a)).status === 'CLOSED',
      "A's alert closed",
    );
    // By token too; retracting again removes nothing.
    const tokensFile = join(dir, 'tokens.txt');
    writeFileSync(tokensFile, `${token}\n`);
    expect(
      await okJson('retract', '--tokens', tokensFile, '--type', 'account_signal', '--epoch', '2026-q4', '--credentials', files.b),
    ).toEqual({ tokens: 1, retracted: 0 });
  }, 90_000); // several CLI processes, each a fresh Node start

  it('webhooks: create, list, test, deliveries, redeliver and rotate-secret', async () => {
    type Endpoint = { id: string; url: string; status: string; eventTypes: string[]; previousSecretExpiresAt: string | null };
    type Delivery = { id: string; eventId: string; eventType: string; status: string };
    const created = await okJson<{ secret: string; endpoint: Endpoint }>(
      'webhooks',
      'create',
      '--url',
      receiver.url('/cli'),
      '--events',
      'alert.created',
      '--description',
      'cli test',
      '--credentials',
      files.a,
    );
    expect(created.secret).toMatch(/^whsec_/);
    expect(created.endpoint).toMatchObject({ url: receiver.url('/cli'), status: 'ENABLED', eventTypes: ['alert.created'] });
    const listed = jsonLines<Endpoint>(await ok('webhooks', 'list', '--credentials', files.a, '--json'));
    expect(listed.map((e) => e.id)).toEqual([created.endpoint.id]);

    const test = await okJson<Delivery>('webhooks', 'test', created.endpoint.id, '--credentials', files.a);
    expect(test).toMatchObject({ eventType: 'webhook.test', status: 'PENDING' });
    await until(() => receiver.at('/cli').length === 1, 'the test delivery');
    const [received] = receiver.at('/cli');
    expect(new Webhook(created.secret).verify(received.body, received.headers)).toMatchObject({ type: 'webhook.test' });

    let deliveries: Delivery[] = [];
    await until(async () => {
      deliveries = jsonLines<Delivery>(
        await ok('webhooks', 'deliveries', created.endpoint.id, '--status', 'SUCCEEDED', '--credentials', files.a, '--json'),
      );
      return deliveries.length === 1;
    }, 'a succeeded delivery');
    expect(deliveries[0]).toMatchObject({ id: test.id, eventId: received.headers['webhook-id'] });

    const again = await okJson<Delivery>('webhooks', 'redeliver', test.id, '--credentials', files.a);
    expect(again).toMatchObject({ id: test.id, status: 'PENDING' });
    await until(() => receiver.at('/cli').length === 2, 'the redelivery');
    expect(receiver.at('/cli')[1].headers['webhook-id']).toBe(received.headers['webhook-id']);

    const rotated = await okJson<{ secret: string; endpoint: Endpoint }>(
      'webhooks',
      'rotate-secret',
      created.endpoint.id,
      '--credentials',
      files.a,
    );
    expect(rotated.secret).not.toBe(created.secret);
    expect(Date.parse(rotated.endpoint.previousSecretExpiresAt!)).toBeGreaterThan(Date.now());

    const badEvents = await run(['webhooks', 'create', '--url', receiver.url(), '--events', 'alert.made', '--credentials', files.a]);
    expect(badEvents.code).toBe(1);
    expect(badEvents.stderr).toContain('--events takes a comma-separated list of: alert.created');
    // Another member's endpoint does not exist for B.
    const foreign = await run(['webhooks', 'test', created.endpoint.id, '--credentials', files.b]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('NOT_FOUND');
  });

  it('admin: invite and withdraw, suspend and reinstate, set a quota, keep the suppression list', async () => {
    const invited = await ok('invite', '--org', 'Wrong Lab', '--email', 'x@wrong.example', '--credentials', files.admin);
    const invitationId = /^invitation id\s+(\S+)$/m.exec(invited)![1];
    const invitationToken = /^invitation token\s+(\S+)$/m.exec(invited)![1];
    const withdrawn = await okJson<{ id: string; withdrawnAt: string }>(
      'admin',
      'withdraw-invitation',
      invitationId,
      '--credentials',
      files.admin,
    );
    expect(withdrawn.id).toBe(invitationId);
    const joined = await run(['join', '--invitation', invitationToken, '--server', ctx.url, '--out', join(dir, 'never-written.json')]);
    expect(joined.code).toBe(1);
    expect(joined.stderr).toContain('This invitation token is not valid');

    const members = jsonLines<{ id: string; name: string }>(await ok('admin', 'members', '--credentials', files.admin, '--json'));
    expect(members.map((m) => m.name)).toEqual(expect.arrayContaining(['Operator', 'Lab A', 'Lab B', 'Wrong Lab']));

    const lab = await ctx.newMember({ name: 'Suspended Lab' });
    expect(await okJson('admin', 'suspend', lab.id, '--reason', 'compromised key', '--credentials', files.admin)).toMatchObject({
      status: 'SUSPENDED',
      suspendedReason: 'compromised key',
    });
    await expect(lab.token()).rejects.toThrow();
    expect(await okJson('admin', 'reinstate', lab.id, '--credentials', files.admin)).toMatchObject({ status: 'ACTIVE' });
    expect(await okJson('admin', 'set-quota', lab.id, '5000', '--credentials', files.admin)).toMatchObject({ indicatorsPerHour: 5000 });
    expect(await okJson('admin', 'set-quota', lab.id, 'default', '--credentials', files.admin)).toMatchObject({ indicatorsPerHour: null });
    const badQuota = await run(['admin', 'set-quota', lab.id, '-5', '--credentials', files.admin]);
    expect(badQuota.code).toBe(1);

    const token = testToken('cli-suppression');
    expect(
      await okJson('admin', 'suppressions', 'add', 'ip_range', '2026-q4', token, '--reason', 'shared NAT', '--credentials', files.admin),
    ).toMatchObject({
      type: 'IP_RANGE',
      token,
      reason: 'shared NAT',
    });
    const listed = jsonLines<{ token: string }>(await ok('admin', 'suppressions', 'list', '--credentials', files.admin, '--json'));
    expect(listed.map((s) => s.token)).toContain(token);
    expect(await okJson('admin', 'suppressions', 'remove', 'IP_RANGE', '2026-q4', token, '--credentials', files.admin)).toMatchObject({
      removed: true,
    });

    // A member is refused every admin command by the server.
    const refused = await run(['admin', 'suspend', b.id, '--reason', 'takeover', '--credentials', files.a]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/\(FORBIDDEN, ROLE_REQUIRED\)\n$/);
  });

  it('a server that cannot be reached exits 3', async () => {
    const result = await run(['keys', 'list', '--credentials', files.a, '--server', 'http://127.0.0.1:9']);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
  }, 60_000);
});
