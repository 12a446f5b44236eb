import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { databaseName } from '@app/database';
import { CLAIM, SIMILAR_SIGNATURES, STORE } from '../libs/federation/similarity/src/similarity.sql.js';
import { signatureDigest } from '../libs/federation/similarity/src/validate-signatures.js';
import { open, recreateDatabase } from './database.js';
import { cpuSecondsOf } from './fleet.js';
import { fmt, percentiles, sizeLabel, type Percentiles } from './stats.js';

/** Candidate lookups and submissions at one number of stored signatures. */
export interface SimilarityLevel {
  stored: number;
  /**
   * SIMILAR_SIGNATURES for one signature that shares 8 bands with one stored
   * signature: its first run (index pages wherever the machine's caches have
   * them), and the same probe run again at once (its pages in shared buffers:
   * the lookup's own work, apart from the cache's size).
   */
  lookup: Percentiles & {
    mean: number;
    warm: Percentiles & { mean: number };
    buffersPerLookup: number;
    /** CPU (user + system) of the PostgreSQL backend per lookup, first and repeated runs together: what other load on the machine moves least. */
    cpuMsPerLookup: number;
    found: number;
  };
  /** submitTemplateSignatures' statements (claim + store, one transaction per batch of 500). */
  submit: { signatures: number; seconds: number; rate: number };
  /** The same rows by a plain INSERT into tables with only their primary keys, no upsert and no outbox. */
  baseline: { signatures: number; seconds: number; rate: number };
}

export interface SimilarityBenchResult {
  levels: SimilarityLevel[];
  /** Mean lookup time at the largest size over the smallest, first runs: the goal is at most 1.2. */
  lookupRatio: number;
  /** The same for the repeated (warm) runs. */
  warmLookupRatio: number;
  /** Buffers touched per lookup, largest over smallest (a measure free of the machine's noise). */
  buffersRatio: number;
  /** Backend CPU per lookup, largest over smallest. */
  cpuRatio: number;
  method: string[];
}

const MEMBERS = 8;
const EPOCH = 'bench';
const BATCH = 500;
const CHUNK = 50_000;
const LOOKUPS = 300;
const WARMUP = 50;

/** 32 bytes of a stored signature's band, as hex, computed the same way in SQL and here. */
const bandSql = (g: string, b: string) => `decode(md5('b' || ${g} || ':' || ${b}) || md5('c' || ${g} || ':' || ${b}), 'hex')`;

/**
 * Stores `from`..`to` (exclusive) signatures of random bands straight in SQL,
 * as the upsert would leave them: 32 band rows each, spread over the members.
 * The bands' key, unique index and foreign key are dropped for the load and
 * built again after it, as a restore does (32M rows inserted in random key
 * order would take the better part of an hour here); the table is the same
 * afterwards, its index freshly packed at both sizes.
 */
async function preload(db: pg.Client, members: string[], from: number, to: number): Promise<void> {
  await db.query(`ALTER TABLE template_signature_bands DROP CONSTRAINT template_signature_bands_signature_id_fkey,
                    DROP CONSTRAINT template_signature_bands_pkey;
                  DROP INDEX template_signature_bands_signature_id_band_key`);
  for (let start = from; start < to; start += CHUNK) {
    const end = Math.min(start + CHUNK, to) - 1;
    await db.query(
      `INSERT INTO template_signatures (id, member_id, submission_id, key_epoch, digest, observed_at, expires_at, confidence)
       SELECT md5('sig' || g)::uuid, ($3::uuid[])[g % ${MEMBERS} + 1], '00000000-0000-4000-8000-000000000000', '${EPOCH}',
              decode(md5('d' || g) || md5('e' || g), 'hex'), now(), now() + interval '90 days', 50
         FROM generate_series($1::int, $2::int) AS g`,
      [start, end, members],
    );
    await db.query(
      `INSERT INTO template_signature_bands (key_epoch, token, signature_id, member_id, band)
       SELECT '${EPOCH}', ${bandSql('g', 'b')}, md5('sig' || g)::uuid, ($3::uuid[])[g % ${MEMBERS} + 1], b
         FROM generate_series($1::int, $2::int) AS g, generate_series(0, 31) AS b`,
      [start, end, members],
    );
  }
  await db.query(`SET maintenance_work_mem = '1GB'`);
  await db.query(`ALTER TABLE template_signature_bands
                    ADD CONSTRAINT template_signature_bands_pkey PRIMARY KEY (key_epoch, token, signature_id);
                  CREATE UNIQUE INDEX template_signature_bands_signature_id_band_key ON template_signature_bands (signature_id, band);
                  ALTER TABLE template_signature_bands ADD CONSTRAINT template_signature_bands_signature_id_fkey
                    FOREIGN KEY (signature_id) REFERENCES template_signatures (id) ON DELETE CASCADE ON UPDATE CASCADE`);
  await db.query('RESET maintenance_work_mem');
  await db.query('VACUUM (ANALYZE) template_signatures, template_signature_bands');
  await db.query('CHECKPOINT');
}

/** A probe: a signature of the probing member sharing bands 0-7 with stored signature `target`, the rest its own. */
async function probes(db: pg.Client, prober: string, targets: number[]): Promise<string[]> {
  const ids: string[] = [];
  for (const target of targets) {
    const id = randomUUID();
    await db.query(
      `INSERT INTO template_signatures (id, member_id, submission_id, key_epoch, digest, observed_at, expires_at, confidence)
       VALUES ($1, $2, '00000000-0000-4000-8000-000000000000', '${EPOCH}', $3, now(), now() + interval '90 days', 50)`,
      [id, prober, randomBytes(32)],
    );
    await db.query(
      `INSERT INTO template_signature_bands (key_epoch, token, signature_id, member_id, band)
       SELECT '${EPOCH}', CASE WHEN b < 8 THEN ${bandSql('$3::int', 'b')} ELSE decode(md5($1 || b) || md5($1 || 'x' || b), 'hex') END, $1::uuid, $2, b
         FROM generate_series(0, 31) AS b`,
      [id, prober, target],
    );
    ids.push(id);
  }
  await db.query('ANALYZE template_signature_bands');
  return ids;
}

async function lookups(db: pg.Client, ids: string[]): Promise<SimilarityLevel['lookup']> {
  const run = (id: string) => db.query({ name: 'similar', text: SIMILAR_SIGNATURES.text, values: [[id], 64, 4] });
  for (const id of ids.slice(0, WARMUP)) await run(id);
  const { rows: backend } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const samples: number[] = [];
  const warm: number[] = [];
  let found = 0;
  const cpu0 = cpuSecondsOf(backend[0].pid);
  for (const id of ids.slice(WARMUP)) {
    let t = performance.now();
    found += (await run(id)).rowCount ?? 0;
    samples.push(performance.now() - t);
    t = performance.now();
    await run(id);
    warm.push(performance.now() - t);
  }
  const cpuMsPerLookup = ((cpuSecondsOf(backend[0].pid) - cpu0) * 1000) / (2 * samples.length);
  let buffers = 0;
  const explained = ids.slice(WARMUP, WARMUP + 20);
  for (const id of explained) {
    const { rows } = await db.query<{ 'QUERY PLAN': { Plan: Record<string, number> }[] }>(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${SIMILAR_SIGNATURES.text}`,
      [[id], 64, 4],
    );
    const plan = rows[0]['QUERY PLAN'][0].Plan;
    buffers += (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    ...percentiles(samples),
    mean: mean(samples),
    warm: { ...percentiles(warm), mean: mean(warm) },
    buffersPerLookup: buffers / explained.length,
    cpuMsPerLookup,
    found,
  };
}

/** Random signatures of fresh bands, as submitTemplateSignatures receives them. */
function batch(): { bands: string[]; digest: string }[] {
  return Array.from({ length: BATCH }, () => {
    const bands = Array.from({ length: 32 }, () => randomBytes(32).toString('hex'));
    return { bands, digest: signatureDigest(bands) };
  });
}

async function submit(db: pg.Client, member: string, batches: number): Promise<SimilarityLevel['submit']> {
  const prepared = Array.from({ length: batches }, batch);
  const started = performance.now();
  for (const items of prepared) {
    const now = new Date();
    const iso = now.toISOString();
    const expires = new Date(now.getTime() + 90 * 86_400_000).toISOString();
    await db.query(`BEGIN; SELECT set_config('sigfed.member_id', '${member}', true)`);
    const claim = await db.query<{ id: string }>({
      name: 'claim',
      text: CLAIM.text,
      values: [member, randomUUID(), randomBytes(32), [EPOCH]],
    });
    await db.query({
      name: 'store',
      text: STORE.text,
      values: [
        member,
        claim.rows[0].id,
        items.map(() => EPOCH).join(','),
        items.map((s) => s.digest).join(','),
        items.map(() => iso).join(','),
        items.map(() => expires).join(','),
        items.map(() => '50').join(','),
        items.map(() => 'f').join(','),
        items.map((s) => s.bands.join('')).join(','),
        null,
        'template_signatures.submitted',
        JSON.stringify({ submissionId: claim.rows[0].id }),
        items.length,
      ],
    });
    await db.query('COMMIT');
  }
  const seconds = (performance.now() - started) / 1000;
  return { signatures: batches * BATCH, seconds, rate: (batches * BATCH) / seconds };
}

async function baseline(db: pg.Client, batches: number): Promise<SimilarityLevel['baseline']> {
  const prepared = Array.from({ length: batches }, batch);
  const started = performance.now();
  for (const items of prepared) {
    const ids = items.map(() => randomUUID());
    await db.query('BEGIN');
    await db.query(`INSERT INTO bench_similarity.signatures (id, digest) SELECT * FROM unnest($1::uuid[], $2::text[]) AS u(id, digest)`, [
      ids,
      items.map((s) => s.digest),
    ]);
    await db.query(
      `INSERT INTO bench_similarity.bands (token, signature_id, band)
       SELECT decode(substr(u.bands, g * 64 + 1, 64), 'hex'), u.id, g
         FROM unnest($1::uuid[], $2::text[]) AS u(id, bands), generate_series(0, 31) AS g`,
      [ids, items.map((s) => s.bands.join(''))],
    );
    await db.query('COMMIT');
  }
  const seconds = (performance.now() - started) / 1000;
  return { signatures: batches * BATCH, seconds, rate: (batches * BATCH) / seconds };
}

/**
 * The similarity phase: stored signatures at two sizes (100k and 1M; 10k
 * and 100k with --quick), the candidate lookup's time and buffers at each,
 * and submission throughput of the server's own statements beside a plain
 * insert of the same rows. Its own database (`<bench database>_similarity`),
 * no API process: what is measured is the database work the API and worker
 * do per signature, apart from HTTP and the queue.
 */
export async function measureSimilarity(databaseUrl: string, quick: boolean, log: (line: string) => void): Promise<SimilarityBenchResult> {
  const url = new URL(databaseUrl);
  url.pathname = `/${databaseName(databaseUrl)}_similarity`;
  await recreateDatabase(url.toString(), log);
  const db = await open(url.toString());
  try {
    const members: string[] = [];
    for (let i = 0; i <= MEMBERS; i++) {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO members (name, client_id, status) VALUES ($1, $2, 'ACTIVE') RETURNING id`,
        [`Bench lab ${i}`, `bench-similarity-${i}-${randomUUID()}`],
      );
      members.push(rows[0].id);
    }
    const prober = members.pop()!;
    await db.query(`CREATE SCHEMA bench_similarity;
      CREATE TABLE bench_similarity.signatures (id uuid PRIMARY KEY, digest text NOT NULL);
      CREATE TABLE bench_similarity.bands (token bytea NOT NULL, signature_id uuid NOT NULL, band smallint NOT NULL, PRIMARY KEY (token, signature_id))`);
    const sizes = quick ? [10_000, 100_000] : [100_000, 1_000_000];
    const batches = quick ? 4 : 10;
    const levels: SimilarityLevel[] = [];
    let preloaded = 0;
    for (const size of sizes) {
      log(`similarity at ${sizeLabel(size)} stored signatures (${fmt(size * 32)} band rows): preloading`);
      await preload(db, members, preloaded, size);
      preloaded = size;
      const targets = Array.from({ length: LOOKUPS }, (_, i) => Math.floor(((i + 0.5) / LOOKUPS) * size));
      const lookup = await lookups(db, await probes(db, prober, targets));
      log(
        `  lookup: mean ${fmt(lookup.mean, 2)} ms, p50 ${fmt(lookup.p50, 2)} ms, p99 ${fmt(lookup.p99, 2)} ms (repeated: mean ${fmt(lookup.warm.mean, 2)} ms), ` +
          `${fmt(lookup.buffersPerLookup, 1)} buffers and ${fmt(lookup.cpuMsPerLookup, 2)} ms of backend CPU each, ${fmt(lookup.found)} candidates found for ${fmt(lookup.count)} probes`,
      );
      const sub = await submit(db, members[0], batches);
      const base = await baseline(db, batches);
      log(`  submit: ${fmt(sub.rate)} signatures/s (${fmt(sub.signatures)} in ${fmt(sub.seconds, 2)} s); baseline ${fmt(base.rate)}/s`);
      levels.push({ stored: size, lookup, submit: sub, baseline: base });
    }
    const [small, large] = [levels[0], levels.at(-1)!];
    return {
      levels,
      lookupRatio: large.lookup.mean / small.lookup.mean,
      warmLookupRatio: large.lookup.warm.mean / small.lookup.warm.mean,
      buffersRatio: large.lookup.buffersPerLookup / small.lookup.buffersPerLookup,
      cpuRatio: large.lookup.cpuMsPerLookup / small.lookup.cpuMsPerLookup,
      method: [
        `Stored signatures preloaded in SQL with 32 random band tokens each over ${MEMBERS} members (no boilerplate), then VACUUM (ANALYZE) and CHECKPOINT.`,
        `Lookup: SIMILAR_SIGNATURES (libs/federation/similarity/src/similarity.sql.ts) for one probe signature at a time that shares 8 bands with one stored signature; ${WARMUP} warm-up probes, then ${LOOKUPS - WARMUP} timed, each run twice (first run, then repeated with its pages cached); buffers from EXPLAIN (ANALYZE, BUFFERS) of 20 probes; backend CPU from /proc/<pid>/stat of the connection's PostgreSQL process over the timed runs (10 ms ticks).`,
        `Submission: CLAIM and STORE of submitTemplateSignatures in one transaction per ${BATCH} signatures, on one connection (no HTTP, no queue); baseline: the same rows by plain INSERTs into tables with only a primary key.`,
        quick ? 'Quick mode: 10k and 100k stored signatures instead of 100k and 1M.' : 'Full mode: 100k and 1M stored signatures.',
      ],
    };
  } finally {
    await db.end();
    const admin = await open(new URL('/postgres', url).toString());
    await admin.query(`DROP DATABASE IF EXISTS "${databaseName(url.toString())}" WITH (FORCE)`).finally(() => admin.end());
  }
}

/** The phase's printed summary. */
export function describeSimilarity(r: SimilarityBenchResult): string[] {
  const [small, large] = [r.levels[0], r.levels.at(-1)!];
  return [
    `    candidate lookup ${sizeLabel(small.stored)} -> ${sizeLabel(large.stored)} stored: mean ${fmt(small.lookup.mean, 2)} -> ${fmt(large.lookup.mean, 2)} ms ` +
      `(ratio ${fmt(r.lookupRatio, 2)}, goal <= 1.2); repeated ${fmt(small.lookup.warm.mean, 2)} -> ${fmt(large.lookup.warm.mean, 2)} ms (ratio ${fmt(r.warmLookupRatio, 2)}); buffers ${fmt(small.lookup.buffersPerLookup, 1)} -> ${fmt(large.lookup.buffersPerLookup, 1)} (ratio ${fmt(r.buffersRatio, 2)}); ` +
      `backend CPU ${fmt(small.lookup.cpuMsPerLookup, 2)} -> ${fmt(large.lookup.cpuMsPerLookup, 2)} ms (ratio ${fmt(r.cpuRatio, 2)})`,
    ...r.levels.map(
      (l) =>
        `    submission at ${sizeLabel(l.stored)}: ${fmt(l.submit.rate)} signatures/s (${fmt(l.submit.rate * 32)} band tokens/s); plain-insert baseline ${fmt(l.baseline.rate)}/s`,
    ),
  ];
}
