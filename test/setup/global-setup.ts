import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { migrationsDir } from '@app/common';
import { connectPg, ensureDatabase, migrate } from '@app/database';
import { adminDatabaseUrl, databaseUrlFor } from '../support/databases.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testRun: { runId: string; templateDatabase: string };
  }
}

/**
 * Once per `npm test`: migrates a template database that every test file then
 * copies (CREATE DATABASE ... TEMPLATE), so each file starts from a freshly
 * migrated schema of its own in a few hundred milliseconds.
 */
export default async function setup(project: TestProject) {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const templateDatabase = `sigfed_test_${runId}_tpl`;
  const url = databaseUrlFor(templateDatabase);
  await ensureDatabase(url, true);
  await migrate(url, migrationsDir());
  project.provide('testRun', { runId, templateDatabase });

  return async () => {
    const admin = await connectPg(adminDatabaseUrl());
    try {
      const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
        `sigfed_test_${runId}_%`,
      ]);
      for (const { datname } of rows) {
        await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    } finally {
      await admin.end();
    }
  };
}
