import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '@app/common';
import { EnvironmentVariables } from './env.schema.js';

describe('docs/operations.md', () => {
  it('documents every environment variable the server reads', () => {
    const doc = readFileSync(join(projectRoot(), 'docs', 'operations.md'), 'utf8');
    const source = readFileSync(join(projectRoot(), 'libs', 'config', 'src', 'env.schema.ts'), 'utf8');
    // Optional variables have no default, hence no own key on an instance: read their names from the source.
    const names = new Set([
      ...Object.keys(new EnvironmentVariables()),
      ...[...source.matchAll(/^\s{2}([A-Z][A-Z0-9_]+)\??[:=]/gm)].map((m) => m[1]),
    ]);
    const missing = [...names].filter((name) => !doc.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });
});
