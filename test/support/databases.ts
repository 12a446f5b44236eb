import { connectPg, maintenanceUrl } from '@app/database';

/** The server the tests use: TEST_DATABASE_URL's, or the local default. */
function baseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
}

/** A URL for `name` on the test server. */
export function databaseUrlFor(name: string): string {
  const url = new URL(baseUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** The maintenance database on the test server. */
export function adminDatabaseUrl(): string {
  return maintenanceUrl(baseUrl());
}

/**
 * Copies the migrated template into a new database. Postgres refuses a copy
 * while another session uses the template, so concurrent files retry.
 */
export async function cloneTemplate(template: string, name: string): Promise<string> {
  const admin = await connectPg(adminDatabaseUrl());
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        return databaseUrlFor(name);
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
      }
    }
  } finally {
    await admin.end();
  }
}

/** Drops a test database, ending any session still connected to it. */
export async function dropDatabase(name: string): Promise<void> {
  const admin = await connectPg(adminDatabaseUrl());
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
