import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '@app/common';

/** Every credentials file a command in the docs writes (`join`, `bootstrap-admin --out`), and every key file, as the docs name them. */
function filesTheDocsWrite(): string[] {
  const docs = join(projectRoot(), 'docs');
  const texts = [
    join(projectRoot(), 'README.md'),
    ...readdirSync(docs)
      .filter((name) => name.endsWith('.md'))
      .map((name) => join(docs, name)),
  ].map((path) => readFileSync(path, 'utf8'));
  const names = new Set<string>();
  for (const text of texts) {
    for (const match of text.matchAll(/(?:join|bootstrap-admin|--invitation)\b[^\n]*?--out ([^\s`'")]+)/g)) names.add(match[1]);
    for (const match of text.matchAll(/> (\S+\.key)\b/g)) names.add(match[1]);
  }
  // Placeholders (<file>) and paths outside the checkout cannot land in it.
  return [...names].filter((name) => !name.startsWith('<') && !name.startsWith('~') && !name.startsWith('/'));
}

describe('credential files the guides write', () => {
  it('are ignored by git wherever the guide writes them inside the checkout', () => {
    const files = filesTheDocsWrite();
    expect(files.length).toBeGreaterThanOrEqual(3);
    const result = spawnSync('git', ['check-ignore', '--no-index', ...files], { cwd: projectRoot(), encoding: 'utf8' });
    const ignored = new Set(result.stdout.split('\n').filter(Boolean));
    expect(files.filter((file) => !ignored.has(file))).toEqual([]);
  });
});
