import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import {
  TEST_FEDERATION_KEY_HEX,
  canonicalizePromptTemplate,
  deriveToken,
  templateShingles,
  templateSignature,
  templateSignatureKeys,
} from '@app/sdk';
import { SimilaritySettings } from '../libs/platform/config/src/config.schema.js';
import { bandsOfShingles, keysFor } from '../libs/sdk/src/minhash.js';
import { fmt } from './stats.js';
import { FULL_CORPUS, QUICK_CORPUS, VARIANT_KINDS, generateCorpus, type CorpusOptions, type CorpusTemplate } from './template-corpus.js';

// The server's shipped defaults, read from where the server reads them.
const SERVER_DEFAULTS = new SimilaritySettings();
/** Similar at this many shared bands or more (SIMILARITY_MIN_SHARED_BANDS). */
export const SIMILARITY_MIN_SHARED_BANDS = SERVER_DEFAULTS.minSharedBands;
/** A band token held by more signatures than this is boilerplate (SIMILARITY_MAX_BAND_HOLDERS). */
export const SIMILARITY_MAX_BAND_HOLDERS = SERVER_DEFAULTS.maxBandHolders;

/** Characters per shingle of the unkeyed baseline. */
const BASELINE_CHARS = 5;

/** Recall and precision of one way of matching over the corpus. */
export interface MatchQuality {
  method: string;
  /** Same-family pairs found / same-family pairs. */
  recall: number;
  /** Same-family pairs found / pairs found. */
  precision: number;
  /** Found pairs (base, variant) / pairs, per variant kind. */
  recallByKind: Record<string, number>;
  /** Found same-family pairs / same-family pairs, per language. */
  recallByLanguage: Record<string, number>;
  pairsFound: number;
  falsePairs: number;
  /** Pairs of unrelated templates holding one boilerplate block that were found similar. */
  boilerplatePairsFound: number;
  /** Band tokens ignored as boilerplate (held by more than SIMILARITY_MAX_BAND_HOLDERS signatures). */
  ignoredTokens?: number;
}

export interface TemplateQualityResult {
  corpus: CorpusOptions & { templates: number; samePairs: number; unrelatedPairs: number; boilerplatePairs: number };
  minSharedBands: number;
  maxBandHolders: number;
  /** The exact PROMPT_TEMPLATE token, the unkeyed character baseline and the shipped keyed scheme (with and without the boilerplate rule). */
  methods: MatchQuality[];
  /** SDK CPU per template for templateSignature with keys derived once, in ms. */
  cpuMsPerTemplate: number;
  /** Deriving the keys of one federation key (templateSignatureKeys), in ms. */
  keyDerivationMs: number;
  meanWords: number;
  /** The keyed scheme under other thresholds, to show what the defaults trade. */
  grid: { minSharedBands: number; maxBandHolders: number | null; recall: number; precision: number; boilerplatePairsFound: number }[];
  /** Per language: what the shipped scheme found against what banding predicts from each pair's exact shingle Jaccard, and how alike unrelated templates are. */
  banding: BandingByLanguage[];
  /** Per boilerplate block: the mean exact shingle Jaccard of two of its holders. */
  blockJaccard: { block: number; language: string; meanJaccard: number }[];
  /** Recall by language of the shipped defaults under other random federation keys (`keys` > 0): how much of a language's figure is the one key's luck. */
  otherKeys?: {
    keys: number;
    recallByLanguage: Record<string, { mean: number; min: number; max: number }>;
    recall: { mean: number; min: number; max: number };
    precision: { mean: number; min: number; max: number };
  };
}

export interface BandingByLanguage {
  language: string;
  /** Same-template pairs. */
  pairs: number;
  meanJaccard: number;
  /** Share found by the shipped defaults. */
  found: number;
  /** Mean over the pairs of P(at least SIMILARITY_MIN_SHARED_BANDS of 32 bands agree), each band agreeing with probability J^4. */
  predicted: number;
  /** Mean exact shingle Jaccard of two unrelated base templates of this language. */
  unrelatedJaccard: number;
}

const GRID_MIN_SHARED = [3, 4, 5, 6];
const GRID_MAX_HOLDERS = [16, 32, 64, 128, Number.POSITIVE_INFINITY];

type Pairs = Map<number, number>;

/** Pairs whose signatures share at least `minShared` band tokens, ignoring tokens held by more than `maxHolders`, computed as the server does from an inverted index. */
function similarPairs(
  signatures: readonly (readonly string[])[],
  minShared: number,
  maxHolders: number,
): { pairs: Set<number>; ignored: number } {
  const holders = new Map<string, number[]>();
  signatures.forEach((bands, i) => {
    for (const band of new Set(bands)) {
      let list = holders.get(band);
      if (list === undefined) holders.set(band, (list = []));
      list.push(i);
    }
  });
  const n = signatures.length;
  const shared: Pairs = new Map();
  let ignored = 0;
  for (const list of holders.values()) {
    if (list.length > maxHolders) {
      ignored++;
      continue;
    }
    for (let a = 0; a < list.length; a++)
      for (let b = a + 1; b < list.length; b++) {
        const key = list[a] * n + list[b];
        shared.set(key, (shared.get(key) ?? 0) + 1);
      }
  }
  const pairs = new Set<number>();
  for (const [key, count] of shared) if (count >= minShared) pairs.add(key);
  return { pairs, ignored };
}

/** Pairs with equal exact tokens. */
function equalPairs(tokens: readonly string[]): Set<number> {
  return similarPairs(
    tokens.map((token) => [token]),
    1,
    Number.POSITIVE_INFINITY,
  ).pairs;
}

function quality(method: string, corpus: readonly CorpusTemplate[], pairs: Set<number>, ignoredTokens?: number): MatchQuality {
  const n = corpus.length;
  let found = 0;
  let falsePairs = 0;
  let boilerplatePairsFound = 0;
  for (const key of pairs) {
    const a = corpus[Math.floor(key / n)];
    const b = corpus[key % n];
    if (a.family === b.family) found++;
    else {
      falsePairs++;
      if (a.block !== undefined && a.block === b.block) boilerplatePairsFound++;
    }
  }
  const has = (a: number, b: number) => pairs.has(Math.min(a, b) * n + Math.max(a, b));
  const families = groupBy(corpus, (t) => t.family);
  const recallByKind: Record<string, number> = {};
  for (const kind of VARIANT_KINDS) {
    let total = 0;
    let hit = 0;
    for (const members of families.values()) {
      const base = members.find((t) => t.kind === 'base');
      if (base === undefined) continue;
      for (const t of members) {
        if (t.kind !== kind) continue;
        total++;
        if (has(base.id, t.id)) hit++;
      }
    }
    recallByKind[kind] = hit / total;
  }
  const byLanguage = new Map<string, { total: number; hit: number }>();
  for (const members of families.values()) {
    for (let i = 0; i < members.length; i++)
      for (let j = i + 1; j < members.length; j++) {
        const entry = byLanguage.get(members[i].language) ?? { total: 0, hit: 0 };
        entry.total++;
        if (has(members[i].id, members[j].id)) entry.hit++;
        byLanguage.set(members[i].language, entry);
      }
  }
  const samePairs = [...byLanguage.values()].reduce((sum, e) => sum + e.total, 0);
  return {
    method,
    recall: found / samePairs,
    precision: pairs.size === 0 ? 1 : found / pairs.size,
    recallByKind,
    recallByLanguage: Object.fromEntries([...byLanguage].map(([language, e]) => [language, e.hit / e.total])),
    pairsFound: pairs.size,
    falsePairs,
    boilerplatePairsFound,
    ignoredTokens,
  };
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list === undefined) groups.set(k, [item]);
    else list.push(item);
  }
  return groups;
}

/** P(at least `min` of `bands` bands agree) when each agrees independently with probability `p`. */
export function atLeastBands(p: number, min: number, bands = 32): number {
  let below = 0;
  let term = (1 - p) ** bands; // P(exactly 0)
  for (let k = 0; k < min; k++) {
    below += term;
    term = (term * (bands - k) * p) / ((k + 1) * (1 - p));
  }
  return p >= 1 ? 1 : 1 - below;
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let both = 0;
  for (const x of a) if (b.has(x)) both++;
  return both / (a.size + b.size - both);
}

/** Found against predicted per language, and how alike unrelated templates and block holders are. */
function bandingAnalysis(
  corpus: readonly CorpusTemplate[],
  shipped: Set<number>,
): { banding: BandingByLanguage[]; blockJaccard: TemplateQualityResult['blockJaccard'] } {
  const n = corpus.length;
  const shingles = corpus.map((t) => new Set(templateShingles(t.text)));
  const rows = new Map<string, { pairs: number; j: number; found: number; predicted: number; unrelated: number; unrelatedPairs: number }>();
  const row = (language: string) => {
    let r = rows.get(language);
    if (r === undefined) rows.set(language, (r = { pairs: 0, j: 0, found: 0, predicted: 0, unrelated: 0, unrelatedPairs: 0 }));
    return r;
  };
  for (const members of groupBy(corpus, (t) => t.family).values()) {
    for (let i = 0; i < members.length; i++)
      for (let k = i + 1; k < members.length; k++) {
        const [a, b] = [members[i], members[k]];
        const j = jaccard(shingles[a.id], shingles[b.id]);
        const r = row(a.language);
        r.pairs++;
        r.j += j;
        r.predicted += atLeastBands(j ** 4, SIMILARITY_MIN_SHARED_BANDS);
        if (shipped.has(Math.min(a.id, b.id) * n + Math.max(a.id, b.id))) r.found++;
      }
  }
  for (const bases of groupBy(
    corpus.filter((t) => t.kind === 'base'),
    (t) => t.language,
  ).values()) {
    for (let i = 0; i < bases.length; i++)
      for (let k = i + 1; k < bases.length; k++) {
        const r = row(bases[i].language);
        r.unrelated += jaccard(shingles[bases[i].id], shingles[bases[k].id]);
        r.unrelatedPairs++;
      }
  }
  const blockJaccard = [
    ...groupBy(
      corpus.filter((t) => t.block !== undefined),
      (t) => t.block!,
    ),
  ].map(([block, holders]) => {
    let sum = 0;
    let pairs = 0;
    for (let i = 0; i < holders.length; i++)
      for (let k = i + 1; k < holders.length; k++, pairs++) sum += jaccard(shingles[holders[i].id], shingles[holders[k].id]);
    return { block, language: holders[0].language, meanJaccard: sum / pairs };
  });
  return {
    banding: [...rows].map(([language, r]) => ({
      language,
      pairs: r.pairs,
      meanJaccard: r.j / r.pairs,
      found: r.found / r.pairs,
      predicted: r.predicted / r.pairs,
      unrelatedJaccard: r.unrelatedPairs ? r.unrelated / r.unrelatedPairs : Number.NaN,
    })),
    blockJaccard,
  };
}

const spread = (values: number[]) => ({
  mean: values.reduce((a, b) => a + b, 0) / values.length,
  min: Math.min(...values),
  max: Math.max(...values),
});

/** The shipped defaults' recall and precision under `count` random federation keys. */
function underOtherKeys(corpus: readonly CorpusTemplate[], count: number): NonNullable<TemplateQualityResult['otherKeys']> {
  const runs = Array.from({ length: count }, () => {
    const keys = templateSignatureKeys(randomBytes(32));
    const signed = corpus.map((t) => templateSignature(keys, t.text).bands);
    return quality('other key', corpus, similarPairs(signed, SIMILARITY_MIN_SHARED_BANDS, SIMILARITY_MAX_BAND_HOLDERS).pairs);
  });
  const languages = Object.keys(runs[0].recallByLanguage);
  return {
    keys: count,
    recallByLanguage: Object.fromEntries(languages.map((l) => [l, spread(runs.map((r) => r.recallByLanguage[l]))])),
    recall: spread(runs.map((r) => r.recall)),
    precision: spread(runs.map((r) => r.precision)),
  };
}

function characterShingles(text: string): string[] {
  const body = [...canonicalizePromptTemplate(text).canonical.slice('tpl:v1:'.length)];
  if (body.length <= BASELINE_CHARS) return [body.join('')];
  const shingles = new Set<string>();
  for (let i = 0; i + BASELINE_CHARS <= body.length; i++) shingles.add(body.slice(i, i + BASELINE_CHARS).join(''));
  return [...shingles];
}

/**
 * The similarity phase: generates the seeded corpus, signs every template with the SDK
 * (timing the CPU), and finds similar pairs in memory the way the server does, beside the
 * exact PROMPT_TEMPLATE token and an unkeyed baseline.
 */
export function measureTemplateQuality(options: { quick?: boolean; otherKeys?: number }): TemplateQualityResult {
  const corpusOptions = options.quick ? QUICK_CORPUS : FULL_CORPUS;
  const corpus = generateCorpus(corpusOptions);
  const key = TEST_FEDERATION_KEY_HEX;

  const k0 = performance.now();
  const keys = templateSignatureKeys(key);
  const keyDerivationMs = performance.now() - k0;
  // Warm the JIT outside the clock, then time CPU (not wall) over the whole corpus.
  for (const t of corpus.slice(0, 200)) templateSignature(keys, t.text);
  const cpu0 = process.cpuUsage();
  const keyed = corpus.map((t) => templateSignature(keys, t.text).bands);
  const cpu = process.cpuUsage(cpu0);
  const cpuMsPerTemplate = (cpu.user + cpu.system) / 1000 / corpus.length;

  const exact = corpus.map((t) => deriveToken(key, canonicalizePromptTemplate(t.text).canonical));
  // Unkeyed: anyone can compute it (the key is public), over character 5-grams of the canonical text.
  const publicKeys = keysFor(new Uint8Array(32), 'unkeyed-baseline');
  const unkeyed = corpus.map((t) => bandsOfShingles(publicKeys, characterShingles(t.text)).map((b) => Buffer.from(b).toString('hex')));

  const shipped = similarPairs(keyed, SIMILARITY_MIN_SHARED_BANDS, SIMILARITY_MAX_BAND_HOLDERS);
  const methods = [
    quality('exact PROMPT_TEMPLATE token', corpus, equalPairs(exact)),
    quality(
      `unkeyed MinHash, character ${BASELINE_CHARS}-grams, >= ${SIMILARITY_MIN_SHARED_BANDS} bands`,
      corpus,
      ...(() => {
        const r = similarPairs(unkeyed, SIMILARITY_MIN_SHARED_BANDS, SIMILARITY_MAX_BAND_HOLDERS);
        return [r.pairs, r.ignored] as const;
      })(),
    ),
    quality(
      `minhash-v1 without the boilerplate rule, >= ${SIMILARITY_MIN_SHARED_BANDS} bands`,
      corpus,
      similarPairs(keyed, SIMILARITY_MIN_SHARED_BANDS, Number.POSITIVE_INFINITY).pairs,
    ),
    quality(`minhash-v1 (shipped defaults)`, corpus, shipped.pairs, shipped.ignored),
  ];

  const grid = GRID_MIN_SHARED.flatMap((minSharedBands) =>
    GRID_MAX_HOLDERS.map((maxBandHolders) => {
      const q = quality('grid', corpus, similarPairs(keyed, minSharedBands, maxBandHolders).pairs);
      return {
        minSharedBands,
        maxBandHolders: Number.isFinite(maxBandHolders) ? maxBandHolders : null,
        recall: q.recall,
        precision: q.precision,
        boilerplatePairsFound: q.boilerplatePairsFound,
      };
    }),
  );

  const families = groupBy(corpus, (t) => t.family);
  const samePairs = [...families.values()].reduce((sum, m) => sum + (m.length * (m.length - 1)) / 2, 0);
  const blocks = groupBy(
    corpus.filter((t) => t.block !== undefined),
    (t) => t.block,
  );
  const boilerplatePairs = [...blocks.values()].reduce((sum, m) => sum + (m.length * (m.length - 1)) / 2, 0);
  const words = corpus.reduce((sum, t) => sum + t.text.split(/\s+/).length, 0) / corpus.length;
  const { banding, blockJaccard } = bandingAnalysis(corpus, shipped.pairs);
  return {
    corpus: {
      ...corpusOptions,
      templates: corpus.length,
      samePairs,
      unrelatedPairs: (corpus.length * (corpus.length - 1)) / 2 - samePairs,
      boilerplatePairs,
    },
    minSharedBands: SIMILARITY_MIN_SHARED_BANDS,
    maxBandHolders: SIMILARITY_MAX_BAND_HOLDERS,
    methods,
    cpuMsPerTemplate,
    keyDerivationMs,
    meanWords: words,
    grid,
    banding,
    blockJaccard,
    ...(options.otherKeys ? { otherKeys: underOtherKeys(corpus, options.otherKeys) } : {}),
  };
}

const pct = (x: number) => fmt(x, 2);

/** The phase's printed lines. */
export function describeTemplateQuality(r: TemplateQualityResult): string[] {
  const c = r.corpus;
  const lines = [
    `\nSimilar templates: ${fmt(c.templates)} templates (${c.bases} bases x ${c.variantsPerKind * VARIANT_KINDS.length} variants, ${c.boilerplateBlocks} boilerplate blocks x ${c.boilerplateHolders} unrelated holders; seed ${c.seed})`,
    `  ${fmt(c.samePairs)} same-template pairs, ${fmt(c.unrelatedPairs)} unrelated pairs (${fmt(c.boilerplatePairs)} of them share a boilerplate block)`,
    `  shipped defaults: SIMILARITY_MIN_SHARED_BANDS ${r.minSharedBands}, SIMILARITY_MAX_BAND_HOLDERS ${r.maxBandHolders}`,
    `  ${'method'.padEnd(58)} recall precision ${VARIANT_KINDS.map((k) => k.padStart(9)).join('')} boilerplate-pairs`,
  ];
  for (const m of r.methods) {
    lines.push(
      `  ${m.method.padEnd(58)} ${pct(m.recall).padStart(6)} ${pct(m.precision).padStart(9)} ${VARIANT_KINDS.map((k) => pct(m.recallByKind[k]).padStart(9)).join('')} ${fmt(m.boilerplatePairsFound).padStart(17)}`,
    );
  }
  const shipped = r.methods.at(-1)!;
  lines.push(
    `  shipped, recall by language: ${Object.entries(shipped.recallByLanguage)
      .map(([language, recall]) => `${language} ${pct(recall)}`)
      .join(', ')}; ${fmt(shipped.ignoredTokens ?? 0)} band tokens ignored as boilerplate`,
    `  SDK cost: ${fmt(r.cpuMsPerTemplate, 3)} ms CPU per template (mean ${fmt(r.meanWords, 0)} words), keys derived once in ${fmt(r.keyDerivationMs, 2)} ms` +
      `; goal recall >= 0.95 at precision >= 0.90: ${shipped.recall >= 0.95 && shipped.precision >= 0.9 ? 'met' : 'NOT met'}`,
  );
  lines.push(`  minhash-v1 under other thresholds (recall/precision/boilerplate pairs), bands x max holders:`);
  for (const minShared of GRID_MIN_SHARED) {
    const cells = r.grid
      .filter((g) => g.minSharedBands === minShared)
      .map((g) => `${g.maxBandHolders ?? 'inf'}: ${pct(g.recall)}/${pct(g.precision)}/${fmt(g.boilerplatePairsFound)}`);
    lines.push(`    >= ${minShared} bands  ${cells.join('  ')}`);
  }
  lines.push(
    `  per language: same-template pairs found (shipped) against banding's prediction from each pair's shingle Jaccard J (P(>= ${r.minSharedBands} of 32 bands), p = J^4)`,
  );
  for (const b of r.banding) {
    lines.push(
      `    ${b.language}  ${fmt(b.pairs).padStart(6)} pairs  mean J ${fmt(b.meanJaccard, 3)}  found ${fmt(b.found, 3)}  predicted ${fmt(b.predicted, 3)}  unrelated bases' mean J ${fmt(b.unrelatedJaccard, 3)}`,
    );
  }
  lines.push(
    `  boilerplate holders' mean J: ${r.blockJaccard.map((b) => `block ${b.block} (${b.language}) ${fmt(b.meanJaccard, 2)}`).join(', ')}`,
  );
  if (r.otherKeys) {
    const f = (x: { mean: number; min: number; max: number }) => `${fmt(x.mean, 3)} (${fmt(x.min, 3)}-${fmt(x.max, 3)})`;
    lines.push(
      `  under ${r.otherKeys.keys} other random keys: recall ${f(r.otherKeys.recall)}, precision ${f(r.otherKeys.precision)}; by language ${Object.entries(
        r.otherKeys.recallByLanguage,
      )
        .map(([l, x]) => `${l} ${f(x)}`)
        .join(', ')}`,
    );
  }
  return lines;
}
