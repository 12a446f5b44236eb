import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ristretto255, ristretto255_oprf } from '@noble/curves/ed25519.js';
import type { AppConfig } from '@app/config';
import { fromBase64Url, OprfEvaluationPool, oprfInfo, toBase64Url } from '@app/key-epochs';
import { fmt } from './stats.js';

/** Evaluations per second, by the wall clock and per CPU-second (per core), of one way of evaluating. */
export interface OprfRate {
  evaluations: number;
  seconds: number;
  perSecond: number;
  /** Evaluations per CPU-second of the whole process (every thread): the per-core rate, whatever else loads the machine. */
  perCoreSecond: number;
}

/** The OPRF phase: the bare library on the main thread beside the server's worker pool, in the same run. */
export interface OprfBenchResult {
  batchSize: number;
  batches: number;
  bare: OprfRate;
  /** Through OprfEvaluationPool with one thread: base64url decoding, the copy to the thread, evaluation, encoding. */
  pool: OprfRate;
  /** pool.perCoreSecond / bare.perCoreSecond. */
  ratio: number;
  /** Server core-minutes to re-derive one million indicators at the pool's per-core rate (rotation arithmetic). */
  coreMinutesPerMillion: number;
  /** The pool with OPRF_EVALUATION_THREADS' default (cores - 1), when that is more than one thread. */
  poolAllThreads?: OprfRate & { threads: number };
}

const BATCH = 256;

async function measure(evaluations: number, run: () => Promise<void>): Promise<OprfRate> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { evaluations, seconds, perSecond: evaluations / seconds, perCoreSecond: evaluations / cpuSeconds };
}

async function throughPool(threads: number, secretKey: Uint8Array, info: string, encoded: string[][]): Promise<OprfRate> {
  const pool = new OprfEvaluationPool({ oprf: { threads } } as AppConfig);
  try {
    // Warm: threads started and the library loaded in each, outside the clock.
    await Promise.all(Array.from({ length: threads }, () => pool.run({ secretKey, info, blinded: [fromBase64Url(encoded[0][0], 32)!] })));
    return await measure(encoded.length * BATCH, async () => {
      await Promise.all(
        encoded.map(async (batch) => {
          const outcome = await pool.run({ secretKey, info, blinded: batch.map((e) => fromBase64Url(e, 32)!) });
          if (!('evaluatedElements' in outcome)) throw new Error('the pool refused valid elements');
        }),
      );
    });
  } finally {
    await pool.onModuleDestroy();
  }
}

/**
 * Evaluates batches of 256 blinded elements (RFC 9497 POPRF,
 * ristretto255-SHA512, one batched proof each) with the bare library on the
 * main thread, then through the server's worker pool, and compares their
 * rates per CPU-second.
 */
export async function measureOprf(options: { quick?: boolean }): Promise<OprfBenchResult> {
  const batches = options.quick ? 8 : 40;
  const info = oprfInfo('IP_RANGE', 'bench');
  const poprf = ristretto255_oprf.poprf(new TextEncoder().encode(info));
  const { secretKey } = poprf.generateKeyPair();
  // Any valid non-identity elements cost the server the same: random multiples of the base point.
  const elements = Array.from({ length: batches }, () =>
    Array.from({ length: BATCH }, () => ristretto255.Point.BASE.multiply(BigInt(`0x${randomBytes(31).toString('hex')}`) + 1n).toBytes()),
  );
  const encoded = elements.map((batch) => batch.map(toBase64Url));
  poprf.blindEvaluateBatch(secretKey, elements[0].slice(0, 4));

  const bare = await measure(batches * BATCH, async () => {
    for (const batch of elements) poprf.blindEvaluateBatch(secretKey, batch);
  });
  const pool = await throughPool(1, secretKey, info, encoded);
  const threads = Math.max(1, cpus().length - 1);
  const poolAllThreads = threads > 1 ? { ...(await throughPool(threads, secretKey, info, encoded)), threads } : undefined;
  return {
    batchSize: BATCH,
    batches,
    bare,
    pool,
    ratio: pool.perCoreSecond / bare.perCoreSecond,
    coreMinutesPerMillion: 1e6 / pool.perCoreSecond / 60,
    poolAllThreads,
  };
}

/** The lines the bench prints for the OPRF phase. */
export function describeOprf(r: OprfBenchResult): string[] {
  const line = (name: string, x: OprfRate) =>
    `    ${name.padEnd(22)} ${fmt(x.evaluations)} evaluations in ${fmt(x.seconds, 2)} s = ${fmt(x.perSecond)}/s; ${fmt(x.perCoreSecond)} per core-second (${fmt(1e3 / x.perCoreSecond, 3)} ms each)`;
  return [
    `  OPRF evaluation (POPRF ristretto255-SHA512, batches of ${r.batchSize} with one proof, ${r.batches} batches)`,
    line('bare library', r.bare),
    line('server pool, 1 thread', r.pool),
    ...(r.poolAllThreads ? [line(`server pool, ${r.poolAllThreads.threads} threads`, r.poolAllThreads)] : []),
    `    ratio pool/bare per core: ${fmt(r.ratio, 2)}; re-deriving 1,000,000 indicators: ${fmt(r.coreMinutesPerMillion, 1)} server core-minutes`,
  ];
}
