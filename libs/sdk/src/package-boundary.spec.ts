import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The SDK runs on members' machines and is published on its own, so it may depend on
// node: built-ins and ipaddr.js only, never on NestJS or the rest of the monorepo.
const SRC = fileURLToPath(new URL('.', import.meta.url));
const ALLOWED = /^(?:node:[a-z_/]+|ipaddr\.js|\.\/[a-z0-9-]+\.js)$/;
const IMPORT = /(?:^|\n)\s*(?:import|export)\s(?:[^;'"]*?\sfrom\s*)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

const sources = readdirSync(SRC).filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'));

describe('package boundary', () => {
  it.each(sources)('%s imports only node built-ins, ipaddr.js and sibling files', (name) => {
    const text = readFileSync(`${SRC}/${name}`, 'utf8');
    const specifiers = [...text.matchAll(IMPORT)].map((match) => match[1] ?? match[2]);
    for (const specifier of specifiers) expect(specifier).toMatch(ALLOWED);
    // Files inside the library import each other directly; the barrel is for consumers.
    if (name !== 'index.ts') expect(specifiers).not.toContain('./index.js');
  });

  it('declares exactly ipaddr.js as its runtime dependency', () => {
    const manifest = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(['ipaddr.js']);
  });
});
