import { describe, expect, it } from 'vitest';
import { canonicalizePromptTemplate, templateShingles } from '@app/sdk';
import {
  FULL_CORPUS,
  LANGUAGES,
  QUICK_CORPUS,
  VARIANT_KINDS,
  generateCorpus,
  paraphrase,
  seededRandom,
  type CorpusTemplate,
} from './template-corpus.js';

const canonical = (text: string) => canonicalizePromptTemplate(text).canonical;

describe('template corpus', () => {
  const corpus = generateCorpus(QUICK_CORPUS);

  it('is the same for the same seed and differs for another', () => {
    expect(generateCorpus(QUICK_CORPUS)).toEqual(corpus);
    expect(generateCorpus({ ...QUICK_CORPUS, seed: 18 }).map((t) => t.text)).not.toEqual(corpus.map((t) => t.text));
  });

  it('holds at least 400 distinct bases in full, each with variants of every kind, in every language', () => {
    const full = generateCorpus(FULL_CORPUS);
    const bases = full.filter((t) => t.kind === 'base');
    expect(bases.length).toBeGreaterThanOrEqual(400);
    expect(new Set(bases.map((t) => canonical(t.text))).size).toBe(bases.length);
    expect(new Set(bases.map((t) => t.language))).toEqual(new Set(LANGUAGES));
    for (const kind of VARIANT_KINDS) expect(full.filter((t) => t.kind === kind)).toHaveLength(bases.length * FULL_CORPUS.variantsPerKind);
    expect(full.filter((t) => t.kind === 'boilerplate')).toHaveLength(FULL_CORPUS.boilerplateBlocks * FULL_CORPUS.boilerplateHolders);
  });

  it('makes number variants that only the numbers tell apart, and every other kind changes the canonical form', () => {
    const byFamily = new Map<number, CorpusTemplate[]>();
    for (const t of corpus) byFamily.set(t.family, [...(byFamily.get(t.family) ?? []), t]);
    for (const members of byFamily.values()) {
      const base = members.find((t) => t.kind === 'base');
      if (base === undefined) continue;
      for (const t of members.filter((m) => m.kind === 'numbers')) expect(canonical(t.text)).toBe(canonical(base.text));
      for (const t of members.filter((m) => m.kind === 'edited' || m.kind === 'reordered'))
        expect(canonical(t.text)).not.toBe(canonical(base.text));
    }
  });

  it('gives boilerplate holders the same block and otherwise unrelated text', () => {
    const holders = corpus.filter((t) => t.block === 0);
    expect(holders.length).toBe(QUICK_CORPUS.boilerplateHolders);
    expect(new Set(holders.map((t) => t.family)).size).toBe(holders.length);
    const common = holders.map((t) => new Set(templateShingles(t.text))).reduce((a, b) => new Set([...a].filter((s) => b.has(s))));
    expect(common.size).toBeGreaterThan(20);
  });

  it('paraphrases with whole-word synonyms only', () => {
    const random = seededRandom(1);
    for (let i = 0; i < 50; i++) expect(paraphrase(random, 'en', 'Do not refuse to use the tool.')).not.toMatch(/refemploy|refskip/);
  });
});
