import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FileTokenCache,
  MemoryTokenCache,
  OprfKeyMismatchError,
  OprfKeyNotPinnedError,
  SigfedClient,
  TEST_FEDERATION_KEY_HEX,
  TokenDeriver,
  TwoKeyTokens,
  canonicalForms,
  deriveHmac,
  deriveToken,
  type Alert,
  type FetchLike,
  type TwoKeyTokenCache,
} from '@app/sdk';
import { createKeyEpoch } from '../apps/cli/src/commands/key-epochs.command.js';
import { WorkerModule } from '../apps/worker/src/worker.module.js';
import { TestContext, type TestMember } from './support/context.js';
import { childEnv, distEntry, runNode } from './support/processes.js';
import { outboxDrained, until } from './support/wait.js';

const KEY = TEST_FEDERATION_KEY_HEX;
const CLI = distEntry('apps/cli/src/main.js');
const TWO_KEY = '2027-q1';
const HMAC = '2026-q4';
const DAY = 86_400_000;
const iso = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString();

/** A member's SDK against the test server, counting its evaluateBlinded calls. */
function memberSdk(ctx: TestContext, member: TestMember, pins: Record<string, string>, cache?: TwoKeyTokenCache) {
  const calls = { evaluateBlinded: 0 };
  const fetch: FetchLike = (input, init) => {
    if (typeof init.body === 'string' && init.body.includes('evaluateBlinded')) calls.evaluateBlinded++;
    return globalThis.fetch(input, init);
  };
  const client = new SigfedClient({
    baseUrl: ctx.url,
    clientId: member.clientId,
    privateJwk: member.privateJwk,
    issuer: ctx.issuer,
    fetch,
  });
  const twoKey = new TwoKeyTokens(client, { oprfPublicKeys: pins, cache });
  return { client, twoKey, deriver: new TokenDeriver(KEY, twoKey), calls };
}

describe('two-key tokens end to end (SDK against the server)', () => {
  let ctx: TestContext;
  let worker: INestApplication;
  let publicKey: string;
  let dir: string;

  beforeAll(async () => {
    ctx = await TestContext.start({ OUTBOX_POLL_MS: '100' });
    const ref = await Test.createTestingModule({ imports: [WorkerModule.forRoot(ctx.config)] }).compile();
    worker = ref.createNestApplication({ logger: false });
    await worker.init();
    ({ publicKey } = (await createKeyEpoch(ctx.config, { epoch: TWO_KEY, notBefore: iso(-1), notAfter: iso(90) })) as {
      publicKey: string;
    });
    await createKeyEpoch(ctx.config, { epoch: HMAC, notBefore: iso(-30), notAfter: iso(60), scheme: 'HMAC' });
    dir = mkdtempSync(join(tmpdir(), 'sigfed-two-key-'));
  });
  afterAll(async () => {
    await worker?.close();
    await ctx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('two members with different blinds derive identical tokens for the same value and get an alert', async () => {
    const [a, b] = [
      memberSdk(ctx, await ctx.newMember(), { [TWO_KEY]: publicKey }),
      memberSdk(ctx, await ctx.newMember(), { [TWO_KEY]: publicKey }),
    ];
    expect(await a.deriver.scheme(TWO_KEY)).toBe('TWO_KEY');
    expect(await a.deriver.scheme(HMAC)).toBe('HMAC');
    const [fromA] = await a.deriver.hashIndicator(TWO_KEY, 'ACCOUNT_SIGNAL', 'email:shared-abuser@example.test');
    const [fromB] = await b.deriver.hashIndicator(TWO_KEY, 'ACCOUNT_SIGNAL', 'email:shared-abuser@example.test');
    expect(fromA.token).toMatch(/^[0-9a-f]{64}$/);
    expect(fromB.token).toBe(fromA.token);
    // Not the HMAC token: the server's key is in it.
    expect(fromA.token).not.toBe(deriveToken(KEY, fromA.canonical));
    expect(a.calls.evaluateBlinded + b.calls.evaluateBlinded).toBe(2);

    for (const sdk of [a, b]) await sdk.client.submitIndicators([{ type: 'ACCOUNT_SIGNAL', token: fromA.token, keyEpoch: TWO_KEY }]);
    await outboxDrained(ctx.db);
    const alerts: Alert[] = [];
    await until(async () => {
      alerts.length = 0;
      for await (const alert of a.client.alerts({ filter: { type: 'ACCOUNT_SIGNAL' } })) alerts.push(alert);
      return alerts.length > 0;
    }, 'alert for member A');
    expect(alerts.map((alert) => [alert.keyEpoch, alert.token, alert.otherHolderCount])).toEqual([[TWO_KEY, fromA.token, 1]]);
  });

  it('a member pinned to a wrong public key is refused by its own SDK before any evaluation', async () => {
    const member = await ctx.newMember();
    const wrong = 'xke-84SXvG7Ad8Iq9ltpbvpDv_O0oZdaPo4KHFp51jE';
    const pinnedWrong = memberSdk(ctx, member, { [TWO_KEY]: wrong });
    const error = await pinnedWrong.deriver.hashIndicator(TWO_KEY, 'IP_RANGE', '192.0.2.0/24').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OprfKeyMismatchError);
    expect((error as Error).message).toBe(
      `key epoch ${TWO_KEY}: the server's OPRF public key ${publicKey.slice(0, 8)}… is not the pinned ${wrong.slice(0, 8)}…; refusing to evaluate (check the key you pinned with the federation operator)`,
    );

    const unpinned = memberSdk(ctx, member, {});
    await expect(unpinned.deriver.hashIndicator(TWO_KEY, 'IP_RANGE', '192.0.2.0/24')).rejects.toBeInstanceOf(OprfKeyNotPinnedError);
    // A pin for an epoch the server does not list as TWO_KEY: no silent fall back to HMAC.
    const downgraded = memberSdk(ctx, member, { [HMAC]: publicKey });
    await expect(downgraded.deriver.hashIndicator(HMAC, 'IP_RANGE', '192.0.2.0/24')).rejects.toThrow(/lists no TWO_KEY key for this epoch/);
    expect(pinnedWrong.calls.evaluateBlinded + unpinned.calls.evaluateBlinded + downgraded.calls.evaluateBlinded).toBe(0);
  });

  it('cache: a second submission of the same values makes no evaluateBlinded call', async () => {
    const member = await ctx.newMember();
    const path = join(dir, 'member.json.oprf-cache');
    const rows = [
      { type: 'IP_RANGE', value: '198.51.100.0/23' },
      { type: 'ACCOUNT_SIGNAL', value: 'device:cache-test' },
      { type: 'PAYMENT_FINGERPRINT', value: '4111111111111111|12/29' },
    ];
    const first = memberSdk(ctx, member, { [TWO_KEY]: publicKey }, FileTokenCache.open(path));
    const built = await first.deriver.hashAndBuild(TWO_KEY, rows);
    expect(built.indicators).toHaveLength(5);
    const stored = await first.client.submitIndicators(built.indicators);
    expect(stored.accepted).toBe(5);
    expect(first.calls.evaluateBlinded).toBe(3); // one call per type
    expect(first.twoKey.stats).toMatchObject({ evaluated: 5, cached: 0 });

    // A later run: a new process would reopen the same file.
    const second = memberSdk(ctx, member, { [TWO_KEY]: publicKey }, FileTokenCache.open(path));
    const again = await second.deriver.hashAndBuild(TWO_KEY, rows);
    expect(again.indicators.map((i) => i.token)).toEqual(built.indicators.map((i) => i.token));
    const resubmitted = await second.client.submitIndicators(again.indicators);
    expect(resubmitted).toMatchObject({ accepted: 0, duplicates: 5 });
    expect(second.calls.evaluateBlinded).toBe(0);
    expect(second.twoKey.stats).toMatchObject({ evaluated: 0, cached: 5 });

    // Small batches, two calls in flight: the same tokens in the same order.
    const hmacs = ['ip4:198.51.100.0/24', 'ip4:198.51.101.0/24', 'ip4:198.51.102.0/24', 'ip4:198.51.103.0/24', 'ip4:198.51.104.0/24'].map(
      (c) => deriveHmac(KEY, c),
    );
    const whole = await new TwoKeyTokens(second.client, { oprfPublicKeys: { [TWO_KEY]: publicKey } }).tokens(TWO_KEY, 'IP_RANGE', hmacs);
    const pairs = new TwoKeyTokens(second.client, { oprfPublicKeys: { [TWO_KEY]: publicKey }, batchSize: 2 });
    expect(await pairs.tokens(TWO_KEY, 'IP_RANGE', hmacs)).toEqual(whole);
    expect(pairs.stats).toMatchObject({ evaluated: 5, calls: 3 });
    expect(whole.slice(0, 2)).toEqual(built.indicators.filter((i) => i.type === 'IP_RANGE').map((i) => i.token));
  });

  it('stolen database: the indicators table and the federation key give up every /24 of an HMAC epoch and none of a TWO_KEY epoch', async () => {
    const memberA = await ctx.newMember();
    const a = memberSdk(ctx, memberA, { [TWO_KEY]: publicKey }, new MemoryTokenCache());
    const range = '10.77.0.0/16';
    for (const epoch of [HMAC, TWO_KEY]) {
      const built = await a.deriver.hashAndBuild(epoch, [{ type: 'IP_RANGE', value: range }]);
      expect(built.indicators).toHaveLength(256);
      await a.client.submitIndicators(built.indicators);
    }

    // The attacker: the table as its owner reads it, and one member's federation key.
    const rows = await ctx.db.$queryRaw<{ key_epoch: string; token: Buffer }[]>`
      SELECT k.key_epoch, i.token FROM indicators i JOIN key_spaces k ON k.id = i.key_space
       WHERE k.type = 'IP_RANGE' AND i.member_no = (SELECT member_no FROM members WHERE id = ${memberA.id}::uuid)`;
    const stolen = new Map<string, Set<string>>();
    for (const row of rows) {
      if (!stolen.has(row.key_epoch)) stolen.set(row.key_epoch, new Set());
      stolen.get(row.key_epoch)!.add(Buffer.from(row.token).toString('hex'));
    }
    expect([stolen.get(HMAC)?.size, stolen.get(TWO_KEY)?.size]).toEqual([256, 256]);

    const started = performance.now();
    const guesses = canonicalForms('IP_RANGE', range).map(({ canonical }) => [canonical, deriveToken(KEY, canonical)] as const);
    const recovered = (epoch: string) => guesses.filter(([, token]) => stolen.get(epoch)!.has(token)).map(([canonical]) => canonical);
    const fromHmac = recovered(HMAC);
    const elapsedMs = performance.now() - started;
    const fromTwoKey = recovered(TWO_KEY);

    expect(guesses).toHaveLength(256);
    expect(fromHmac).toHaveLength(256);
    expect(fromHmac).toContain('ip4:10.77.203.0/24');
    expect(elapsedMs).toBeLessThan(250);
    expect(fromTwoKey).toEqual([]);
  }, 90_000); // 512 tokens through the SDK, 256 of them through the OPRF: CPU-bound on a busy machine

  it('CLI: hash --epoch and submit use the two-key path, pin from the file or the flag, and reuse the cache', async () => {
    const member = await ctx.newMember();
    const credentials = join(dir, 'cli-member.json');
    const write = (pins?: Record<string, string>) =>
      writeFileSync(
        credentials,
        JSON.stringify({ clientId: member.clientId, privateJwk: member.privateJwk, issuer: ctx.issuer, oprfPublicKeys: pins }),
        { mode: 0o600 },
      );
    const env = childEnv({ SIGFED_FEDERATION_KEY: KEY });
    const sdk = memberSdk(ctx, member, { [TWO_KEY]: publicKey });
    const expected = await sdk.deriver.hashIndicator(TWO_KEY, 'IP_RANGE', '192.0.2.0/24');

    write({ [TWO_KEY]: publicKey });
    const hashed = await runNode(CLI, ['hash', '--epoch', TWO_KEY, '--credentials', credentials, 'IP_RANGE', '192.0.2.0/24'], env);
    expect({ code: hashed.code, stderr: hashed.stderr }).toEqual({ code: 0, stderr: '' });
    expect(hashed.stdout).toBe(`${expected[0].token}  ip4-block\n`);
    expect(statSync(`${credentials}.oprf-cache`).mode & 0o777).toBe(0o600);

    const noCredentials = await runNode(CLI, ['hash', '--epoch', TWO_KEY, 'IP_RANGE', '192.0.2.0/24'], env);
    expect(noCredentials.code).toBe(1);
    expect(noCredentials.stderr).toMatch(/^sigfed hash: --epoch needs --credentials <path>/);

    write();
    const wrongPin = 'xke-84SXvG7Ad8Iq9ltpbvpDv_O0oZdaPo4KHFp51jE';
    const refused = await runNode(
      CLI,
      ['hash', '--epoch', TWO_KEY, '--credentials', credentials, '--oprf-public-key', `${TWO_KEY}=${wrongPin}`, 'IP_RANGE', '192.0.2.0/24'],
      env,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `sigfed hash: key epoch ${TWO_KEY}: the server's OPRF public key ${publicKey.slice(0, 8)}… is not the pinned ${wrongPin.slice(0, 8)}…; refusing to evaluate (check the key you pinned with the federation operator)\n`,
    );
    const unpinned = await runNode(CLI, ['hash', '--epoch', TWO_KEY, '--credentials', credentials, 'IP_RANGE', '192.0.2.0/24'], env);
    expect(unpinned.stderr).toMatch(new RegExp(`^sigfed hash: key epoch ${TWO_KEY} is TWO_KEY but no public key is pinned for it`));

    const csv = join(dir, 'two-key.csv');
    writeFileSync(csv, 'type,value\nIP_RANGE,192.0.2.0/23\nACCOUNT_SIGNAL,device:cli-two-key\n');
    const cache = join(dir, 'cli.oprf-cache');
    const submit = () =>
      runNode(
        CLI,
        [
          'submit',
          '--file',
          csv,
          '--epoch',
          TWO_KEY,
          '--credentials',
          credentials,
          '--oprf-public-key',
          `${TWO_KEY}=${publicKey}`,
          '--oprf-cache',
          cache,
        ],
        env,
      );
    const first = await submit();
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^evaluated\s+3$/m);
    expect(first.stdout).toMatch(/^accepted\s+3$/m);
    const second = await submit();
    expect(second.stdout).toMatch(/^evaluated\s+0$/m);
    expect(second.stdout).toMatch(/^from cache\s+3$/m);
    expect(second.stdout).toMatch(/^duplicates\s+3$/m);
    expect(
      readFileSync(cache, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('tok ')),
    ).toHaveLength(3);
  }, 120_000); // six CLI processes, each a fresh Node start
});
