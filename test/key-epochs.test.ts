import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ristretto255, ristretto255_oprf } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decrypt, masterKeyPath } from '@app/secrets';
import { createKeyEpoch, keyEpochTable, listKeyEpochs, retireKeyEpoch } from '../apps/cli/src/commands/key-epochs.command.js';
import { TestContext, type GqlResponse, type TestMember } from './support/context.js';

const OPRF_KEYS = '{ oprfKeys { keyEpoch suite mode publicKey notBefore notAfter status } }';
const EVALUATE = 'mutation($input: EvaluateBlindedInput!) { evaluateBlinded(input: $input) { keyEpoch evaluatedElements proof } }';
const SUBMIT = 'mutation($input: SubmitIndicatorsInput!) { submitIndicators(input: $input) { accepted duplicates } }';

const DAY = 86_400_000;
const iso = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString();
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'base64url'));
const info = (type: string, epoch: string) => new TextEncoder().encode(`sigfed:v1:${type}:${epoch}`);

interface Evaluated {
  evaluateBlinded: { keyEpoch: string; evaluatedElements: string[]; proof: string };
}
interface Problem {
  field: string;
  rule: string;
  message: string;
}
const problemsOf = (res: GqlResponse) => (res.errors?.[0].extensions?.problems ?? []) as Problem[];

/**
 * The member's side of the POPRF, straight from the library: blind each
 * HMAC, have the server evaluate, verify the batch proof and finalize. The
 * token is the hex of the output's first 32 bytes.
 */
async function twoKeyTokens(ctx: TestContext, token: string, epoch: string, publicKey: string, type: string, hmacs: Uint8Array[]) {
  const poprf = ristretto255_oprf.poprf(info(type, epoch));
  const blinds = hmacs.map((input) => poprf.blind(input, bytes(publicKey)));
  const res = await ctx.gql<Evaluated>(EVALUATE, { input: { keyEpoch: epoch, type, blindedElements: blinds.map((b) => b64(b.blinded)) } }, token);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  const { evaluatedElements, proof } = res.data!.evaluateBlinded;
  const outputs = poprf.finalizeBatch(
    hmacs.map((input, i) => ({ input, blind: blinds[i].blind, blinded: blinds[i].blinded, evaluated: bytes(evaluatedElements[i]) })),
    bytes(proof),
    blinds[0].tweakedKey,
  );
  return { tokens: outputs.map((o) => Buffer.from(o.subarray(0, 32)).toString('hex')), res };
}

describe('two-key epochs: oprfKeys and evaluateBlinded', () => {
  let ctx: TestContext;
  let member: TestMember;
  let token: string;
  let active: { publicKey: string };

  beforeAll(async () => {
    ctx = await TestContext.start();
    member = await ctx.newMember();
    token = await member.token();
    active = (await createKeyEpoch(ctx.config, { epoch: '2027-q1', notBefore: iso(-1), notAfter: iso(90) })) as { publicKey: string };
  });
  afterAll(async () => ctx?.close());

  it('oprfKeys lists every two-key epoch with its public key and status', async () => {
    await createKeyEpoch(ctx.config, { epoch: '2027-q2', notBefore: iso(90), notAfter: iso(180) });
    await createKeyEpoch(ctx.config, { epoch: '2026-q3', notBefore: iso(-120), notAfter: iso(-10) });
    await createKeyEpoch(ctx.config, { epoch: '2026-q1', notBefore: iso(-300), notAfter: iso(-200) });
    await createKeyEpoch(ctx.config, { epoch: '2026-q4', notBefore: iso(-10), notAfter: iso(80), scheme: 'HMAC' });
    const res = await ctx.gql<{ oprfKeys: { keyEpoch: string; suite: string; mode: string; publicKey: string; status: string }[] }>(OPRF_KEYS, {}, token);
    expect(res.errors).toBeUndefined();
    expect(res.data!.oprfKeys.map((k) => [k.keyEpoch, k.status])).toEqual([
      ['2026-q1', 'RETIRED'],
      ['2026-q3', 'RETIRING'],
      ['2027-q1', 'ACTIVE'],
      ['2027-q2', 'UPCOMING'],
    ]);
    for (const key of res.data!.oprfKeys) {
      expect(key).toMatchObject({ suite: 'ristretto255-SHA512', mode: 'POPRF' });
      expect(key.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(() => ristretto255.Point.fromBytes(bytes(key.publicKey))).not.toThrow();
    }
    expect(res.data!.oprfKeys.find((k) => k.keyEpoch === '2027-q1')!.publicKey).toBe(active.publicKey);
  });

  it('two blinds of the same value finalize to the same token, the proof verifies, and the key is the sealed one', async () => {
    const hmac = new Uint8Array(createHmac('sha256', randomBytes(32)).update('ip:203.0.113.0/24').digest());
    const first = await twoKeyTokens(ctx, token, '2027-q1', active.publicKey, 'IP_RANGE', [hmac]);
    const second = await twoKeyTokens(ctx, token, '2027-q1', active.publicKey, 'IP_RANGE', [hmac]);
    expect(first.res.data!.evaluateBlinded.evaluatedElements[0]).not.toBe(second.res.data!.evaluateBlinded.evaluatedElements[0]);
    expect(first.tokens[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(second.tokens[0]).toBe(first.tokens[0]);

    // The server evaluated with the secret stored sealed under the data key (context oprf-key:<label>).
    const row = await ctx.db.keyEpoch.findUniqueOrThrow({ where: { label: '2027-q1' } });
    const dataKey = Buffer.from(readFileSync(masterKeyPath(process.env.DATA_DIR!), 'utf8').trim(), 'base64url');
    const secret = decrypt(dataKey, row.secretKeyEncrypted!, 'oprf-key:2027-q1');
    const direct = ristretto255_oprf.poprf(info('IP_RANGE', '2027-q1')).evaluate(secret, hmac);
    expect(Buffer.from(direct.subarray(0, 32)).toString('hex')).toBe(first.tokens[0]);

    // The type is part of the info: the same HMAC gives another token as another type.
    const other = await twoKeyTokens(ctx, token, '2027-q1', active.publicKey, 'ACCOUNT_SIGNAL', [hmac]);
    expect(other.tokens[0]).not.toBe(first.tokens[0]);
  });

  it('evaluates a batch of 256 in order under one proof; a tampered proof fails verification', async () => {
    const hmacs = Array.from({ length: 256 }, () => new Uint8Array(randomBytes(32)));
    const { tokens, res } = await twoKeyTokens(ctx, token, '2027-q1', active.publicKey, 'PAYMENT_FINGERPRINT', hmacs);
    expect(new Set(tokens).size).toBe(256);
    const single = await twoKeyTokens(ctx, token, '2027-q1', active.publicKey, 'PAYMENT_FINGERPRINT', [hmacs[200]]);
    expect(single.tokens[0]).toBe(tokens[200]);
    expect(bytes(res.data!.evaluateBlinded.proof)).toHaveLength(64);
    expect(res.extensions?.cost).toBeGreaterThanOrEqual(256);
  });
});
