import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '@app/common';
import { TestContext } from './support/context.js';

/** Nest's generated file starts with a comment header; the SDL after it is what counts. */
const sdl = (text: string) => text.replace(/^(#[^\n]*\n)+\n?/, '').trim();

describe('schema.gql', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.start();
  });
  afterAll(async () => ctx?.close());

  it('is the schema the server serves (regenerate: start the API once with NODE_ENV=development)', () => {
    const live = printSchema(lexicographicSortSchema(ctx.app.get(GraphQLSchemaHost).schema));
    const committed = readFileSync(join(projectRoot(), 'schema.gql'), 'utf8');
    expect(sdl(committed)).toBe(sdl(live));
  });
});
