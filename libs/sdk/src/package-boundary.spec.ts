import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The SDK runs on members' machines and is published on its own, so it may depend on node:
// built-ins and its declared packages only, never on NestJS or the rest of the monorepo. The
// core stays on ipaddr.js (canonicalization) and @noble/curves' ristretto255 (the two-key
// scheme's RFC 9497 POPRF); only the API client (client/) may use jose (client assertions),
// standardwebhooks (webhook verification), graphql-ws and ws (alert events).
const SRC = fileURLToPath(new URL('.', import.meta.url));
const CORE_ALLOWED = /^(?:node:[a-z_/]+|ipaddr\.js|@noble\/curves\/ed25519\.js|\.\/[a-z0-9-]+\.js)$/;
const INDEX_ALLOWED = /^(?:\.\/(?:client\/)?[a-z0-9-]+\.js)$/;
const CLIENT_ALLOWED = /^(?:node:[a-z_/]+|jose|standardwebhooks|graphql-ws\/client|\.\.?\/[a-z0-9-]+\.js)$/;
const IMPORT = /(?:^|\n)\s*(?:import|export)\s(?:[^;'"]*?\sfrom\s*)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

const sourcesIn = (dir: string) => readdirSync(`${SRC}/${dir}`).filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'));
const specifiersOf = (path: string) => [...readFileSync(`${SRC}/${path}`, 'utf8').matchAll(IMPORT)].map((match) => match[1] ?? match[2]);

describe('package boundary', () => {
  it.each(sourcesIn('.'))('%s imports only node built-ins, ipaddr.js, @noble/curves/ed25519.js and sibling files', (name) => {
    const specifiers = specifiersOf(name);
    for (const specifier of specifiers) expect(specifier).toMatch(name === 'index.ts' ? INDEX_ALLOWED : CORE_ALLOWED);
    // Files inside the library import each other directly; the barrel is for consumers.
    if (name !== 'index.ts') expect(specifiers).not.toContain('./index.js');
  });

  it.each(sourcesIn('client'))('client/%s imports only node built-ins, jose, standardwebhooks, graphql-ws and SDK files', (name) => {
    const specifiers = specifiersOf(`client/${name}`);
    for (const specifier of specifiers) expect(specifier).toMatch(CLIENT_ALLOWED);
    expect(specifiers).not.toContain('../index.js');
  });

  it('has no folders other than client/', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((entry) => entry.isDirectory());
    expect(folders.map((entry) => entry.name)).toEqual(['client']);
  });

  it('declares exactly @noble/curves, graphql-ws, ipaddr.js, jose, standardwebhooks and ws as its runtime dependencies', () => {
    const manifest = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies ?? {}).sort()).toEqual([
      '@noble/curves',
      'graphql-ws',
      'ipaddr.js',
      'jose',
      'standardwebhooks',
      'ws',
    ]);
  });
});
