import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { projectRoot } from '@app/common';
import { connectPg } from '@app/database';
import { actualShape, diffShapes, expectedShape, type SchemaShape } from './support/schema-drift.js';

describe('schema.prisma and the SQL migrations agree', () => {
  const schemaText = readFileSync(join(projectRoot(), 'prisma', 'schema.prisma'), 'utf8');
  let client: pg.Client;
  let actual: SchemaShape;

  beforeAll(async () => {
    // This file's database is a copy of the template that every migration was applied to.
    client = await connectPg(process.env.DATABASE_URL!);
    actual = await actualShape(client);
  });
  afterAll(async () => client?.end());

  it('has the same tables, columns, types, nullability and indexes', async () => {
    expect(diffShapes(await expectedShape(schemaText), actual)).toEqual([]);
  });

  it('notices a column added to schema.prisma without a migration', async () => {
    const edited = schemaText.replace('model Member {\n', 'model Member {\n  nickname String? @db.VarChar(50)\n');
    expect(diffShapes(await expectedShape(edited), actual)).toEqual([
      'column members.nickname is in schema.prisma but no migration creates it',
    ]);
  });

  it('notices a changed type and a missing index', async () => {
    const edited = schemaText
      .replace('name            String       @db.VarChar(200)', 'name            String       @db.VarChar(100)')
      .replace('  @@index([expiresAt])\n', '');
    expect(diffShapes(await expectedShape(edited), actual)).toEqual([
      'column members.name: schema.prisma says character varying(100) NOT NULL, migrations made character varying(200) NOT NULL',
      'index indicators INDEX(expires_at) exists in the database but not in schema.prisma',
    ]);
  });
});
