import pg from 'pg';
import { redactUrl } from '@app/config';
import { StartupError } from '@app/common';
import { serverVersion as versionStatement } from './database.sql.js';
import { pgRows, type SqlClient } from './statement.js';

const START_HINT = 'start PostgreSQL (on Debian: pg_ctlcluster <version> main start) or set DATABASE_URL';

/** The database name a postgresql:// URL points at. */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

/** The same server, but the maintenance database `postgres`. */
export function maintenanceUrl(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = '/postgres';
  return parsed.toString();
}

/** Turns a connection failure into the one line an operator needs. */
export function describePgError(url: string, error: unknown): StartupError {
  const e = error as { code?: string; message?: string };
  const where = redactUrl(url);
  if (e.code === '3D000') {
    return new StartupError(`database "${databaseName(url)}" does not exist at ${where}; create it or set DATABASE_AUTO_CREATE=true`);
  }
  if (e.code === '28P01' || e.code === '28000') {
    // The API and worker roles are created by a migration: missing, they usually mean migrations are pending.
    const hint = /role "sigfed_(api|worker)" does not exist/.test(e.message ?? '')
      ? '; apply migrations first (`npm run cli -- migrate` creates it) or create it as docs/operations.md#database-roles says'
      : '';
    return new StartupError(`PostgreSQL at ${where} refused the credentials (${e.message})${hint}`);
  }
  return new StartupError(`cannot reach PostgreSQL at ${where} (${e.code ?? e.message ?? String(error)}); ${START_HINT}`);
}

/** Opens one client, or throws a StartupError naming the URL. */
export async function connectPg(url: string, timeoutMs = 5000): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw describePgError(url, error);
  }
}

/**
 * Makes sure the configured database exists, creating it when allowed.
 * Returns true when it had to create it.
 */
export async function ensureDatabase(url: string, autoCreate: boolean): Promise<boolean> {
  try {
    const client = await connectPg(url);
    await client.end();
    return false;
  } catch (error) {
    const missing = error instanceof StartupError && error.message.includes('does not exist');
    if (!missing || !autoCreate) throw error;
  }
  const admin = await connectPg(maintenanceUrl(url));
  try {
    // Identifiers cannot be bound as parameters; the name passed the
    // DATABASE_URL pattern ([A-Za-z0-9_-]) and is quoted here besides.
    const name = databaseName(url).replace(/"/g, '""');
    await admin.query(`CREATE DATABASE "${name}"`);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '42P04') return false; // created concurrently
    throw new StartupError(`could not create database "${databaseName(url)}" at ${redactUrl(url)}: ${(error as Error).message}`);
  } finally {
    await admin.end();
  }
}

/** The version of the server `client` is connected to (`15.8`). */
export async function serverVersion(client: SqlClient): Promise<string> {
  const [row] = await pgRows(client, versionStatement, []);
  return row.version;
}
