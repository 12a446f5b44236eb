import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FileTokenCache, SigfedClient, TokenDeriver, TwoKeyTokens, type FetchLike, type RawIndicatorRow } from '@app/sdk';
import type { Fleet } from './fleet.js';
import type { BenchMember } from './members.js';
import { fmt } from './stats.js';
import { BENCH_EPOCH } from './workload.js';

/** One end-to-end submission run through the SDK: hash (and, for TWO_KEY, evaluate), then submit. */
export interface SubmissionRate {
  indicators: number;
  seconds: number;
  /** Indicators per second, hashing to acknowledged. */
  rate: number;
  evaluateCalls: number;
}

/** The two-key phase: the same values under an HMAC epoch and a TWO_KEY epoch, in one run. */
export interface TwoKeyBenchResult {
  values: number;
  hmacNew: SubmissionRate;
  twoKeyCold: SubmissionRate;
  hmacResent: SubmissionRate;
  twoKeyWarm: SubmissionRate;
  /** twoKeyCold / hmacNew and twoKeyWarm / hmacResent. */
  ratios: { cold: number; warm: number };
}

const DAY = 86_400_000;
const HMAC_EPOCH = 'bench-hmac';
const TWO_KEY_EPOCH = 'bench-two-key';

/**
 * Submits `values` new ACCOUNT_SIGNAL values through the SDK under an HMAC epoch and under a
 * TWO_KEY epoch (cold cache: every value evaluated), then again (HMAC: resent; TWO_KEY: warm
 * cache, no evaluation). ACCOUNT_SIGNAL because IP_RANGE's evaluation budget is deliberately
 * small. Batches of 1,000 per submitIndicators call and 256 per evaluateBlinded call.
 */
export async function measureTwoKey(fleet: Fleet, member: BenchMember, runDir: string, values: number): Promise<TwoKeyBenchResult> {
  const window = ['--not-before', new Date(Date.now() - DAY).toISOString(), '--not-after', new Date(Date.now() + 90 * DAY).toISOString()];
  // Once the federation has key epochs every submission must name one, so the other phases' epoch is registered too.
  await fleet.cli(['create-key-epoch', '--epoch', BENCH_EPOCH, '--scheme', 'HMAC', ...window]);
  await fleet.cli(['create-key-epoch', '--epoch', HMAC_EPOCH, '--scheme', 'HMAC', ...window]);
  const created = await fleet.cli(['create-key-epoch', '--epoch', TWO_KEY_EPOCH, ...window]);
  const publicKey = /public key (\S+)/.exec(created)?.[1];
  if (publicKey === undefined) throw new Error(`create-key-epoch printed no public key: ${created}`);

  const calls = { evaluateBlinded: 0 };
  const fetch: FetchLike = (input, init) => {
    if (typeof init.body === 'string' && init.body.includes('evaluateBlinded')) calls.evaluateBlinded++;
    return globalThis.fetch(input, init);
  };
  const client = new SigfedClient({
    baseUrl: fleet.issuer,
    clientId: member.clientId,
    privateJwk: member.privateJwk,
    issuer: fleet.issuer,
    fetch,
  });
  await client.serverInfo();
  const key = Buffer.alloc(32, 7);
  const cachePath = join(runDir, 'bench.oprf-cache');
  const rows: RawIndicatorRow[] = Array.from({ length: values }, (_, i) => ({
    type: 'ACCOUNT_SIGNAL',
    value: `bench-two-key:${process.pid}:${i}`,
  }));

  const run = async (epoch: string, twoKey: TwoKeyTokens | undefined): Promise<SubmissionRate> => {
    const before = calls.evaluateBlinded;
    const started = performance.now();
    const built = await new TokenDeriver(key, twoKey).hashAndBuild(epoch, rows);
    await client.submitIndicators(built.indicators, { batchSize: 1_000 });
    const seconds = (performance.now() - started) / 1000;
    return {
      indicators: built.indicators.length,
      seconds,
      rate: built.indicators.length / seconds,
      evaluateCalls: calls.evaluateBlinded - before,
    };
  };
  const pins = { oprfPublicKeys: { [TWO_KEY_EPOCH]: publicKey } };
  const hmacNew = await run(HMAC_EPOCH, undefined);
  const twoKeyCold = await run(TWO_KEY_EPOCH, new TwoKeyTokens(client, { ...pins, cache: FileTokenCache.open(cachePath) }));
  const hmacResent = await run(HMAC_EPOCH, undefined);
  // A later run of the member's tool: the cache file reopened, every value in it.
  const twoKeyWarm = await run(TWO_KEY_EPOCH, new TwoKeyTokens(client, { ...pins, cache: FileTokenCache.open(cachePath) }));
  if (twoKeyWarm.evaluateCalls !== 0) throw new Error(`a warm cache still made ${twoKeyWarm.evaluateCalls} evaluateBlinded calls`);
  return {
    values,
    hmacNew,
    twoKeyCold,
    hmacResent,
    twoKeyWarm,
    ratios: { cold: twoKeyCold.rate / hmacNew.rate, warm: twoKeyWarm.rate / hmacResent.rate },
  };
}

/** The phase's printed lines. */
export function describeTwoKey(r: TwoKeyBenchResult): string[] {
  const line = (label: string, s: SubmissionRate) =>
    `    ${label.padEnd(28)} ${fmt(s.indicators)} indicators in ${fmt(s.seconds, 2)} s = ${fmt(s.rate)}/s (${fmt(s.evaluateCalls)} evaluateBlinded calls)`;
  return [
    line('HMAC, new values', r.hmacNew),
    line('TWO_KEY, cold cache', r.twoKeyCold),
    line('HMAC, resent', r.hmacResent),
    line('TWO_KEY, warm cache', r.twoKeyWarm),
    `    ratios: TWO_KEY cold / HMAC new ${fmt(r.ratios.cold, 3)}, TWO_KEY warm / HMAC resent ${fmt(r.ratios.warm, 3)}`,
  ];
}
