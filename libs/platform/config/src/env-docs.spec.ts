import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '@app/common';
import { loadConfig } from './config.js';
import { environmentVariableNames } from './env.js';

describe('docs/operations.md', () => {
  it('documents every environment variable the server reads', () => {
    loadConfig({});
    const doc = readFileSync(join(projectRoot(), 'docs', 'operations.md'), 'utf8');
    const names = environmentVariableNames();
    expect(names.length).toBeGreaterThan(80);
    const missing = names.filter((name) => !doc.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });
});
