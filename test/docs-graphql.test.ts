import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, getOperationAST, parse, validate, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '@app/common';

interface Snippet {
  where: string;
  document: string;
  /** JSON of a `# variables: {...}` or `# {...}` comment line in the block. */
  variables?: string;
}

/** Every ```graphql block of the docs, with the variables its comment shows. */
function snippets(): Snippet[] {
  const docs = join(projectRoot(), 'docs');
  const found: Snippet[] = [];
  for (const name of readdirSync(docs).filter((file) => file.endsWith('.md'))) {
    const text = readFileSync(join(docs, name), 'utf8');
    for (const match of text.matchAll(/```graphql\n([\s\S]*?)```/g)) {
      const line = text.slice(0, match.index).split('\n').length;
      const lines = match[1].split('\n').map((l) => l.trim());
      const variables = lines.map((l) => /^#\s*(?:variables:\s*)?(\{.*\})\s*$/.exec(l)?.[1]).find(Boolean);
      found.push({ where: `docs/${name}:${line}`, document: lines.filter((l) => !l.startsWith('#')).join('\n'), variables });
    }
  }
  return found;
}

describe('GraphQL in the docs', () => {
  const schema = buildSchema(readFileSync(join(projectRoot(), 'schema.gql'), 'utf8'));
  const all = snippets();

  it('finds the snippets', () => {
    expect(all.length).toBeGreaterThanOrEqual(8);
  });

  it.each(all.map((s) => [s.where, s] as const))('%s is valid against schema.gql, with variables that fit', (_where, snippet) => {
    const document = parse(snippet.document);
    expect(validate(schema, document).map((e) => e.message)).toEqual([]);
    if (!snippet.variables) return;
    const operation = getOperationAST(document) as OperationDefinitionNode;
    const declared = (operation.variableDefinitions ?? []).map((v) => v.variable.name.value).sort();
    expect(Object.keys(JSON.parse(snippet.variables) as object).sort()).toEqual(declared);
  });
});
