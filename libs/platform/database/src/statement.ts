import type pg from 'pg';
import type { Prisma } from './generated/prisma/client.js';

/**
 * What runs statements on plain node-postgres: a pooled connection inside
 * `sqlAsMember`'s or `sqlTransaction`'s transaction, a `pg.Client`, or
 * `PrismaService` itself (one statement on the pool).
 */
export interface SqlClient {
  query<R extends pg.QueryResultRow>(config: pg.QueryConfig<unknown[]>): Promise<pg.QueryResult<R>>;
}

/** A named SQL statement with its parameter and row types next to it. */
export interface Statement<P extends readonly unknown[], R> {
  readonly name: string;
  readonly text: string;
  readonly __types?: [P, R];
}

/**
 * Declares a statement: `name` is `<library>.<what>` (unique, at most 63
 * bytes: node-postgres prepares it under that name), `text` fixed SQL with
 * positional parameters. Every statement lives in its library's
 * `<lib>.sql.ts`; test/sql-statements.test.ts prepares each one against the
 * migrated schema and compares its columns with `R`.
 */
export function statement<P extends readonly unknown[], R = Record<string, never>>(name: string, text: string): Statement<P, R> {
  return { name, text };
}

/** What the Prisma runners need: the client or an interactive transaction's client. */
export type RawSqlClient = Pick<Prisma.TransactionClient, '$queryRawUnsafe' | '$executeRawUnsafe'>;

/** Runs `statement` through Prisma and returns its rows. */
export function queryRows<P extends readonly unknown[], R>(db: RawSqlClient, statement: Statement<P, R>, params: P): Promise<R[]> {
  return db.$queryRawUnsafe<R[]>(statement.text, ...params);
}

/** Runs `statement` through Prisma and returns the number of rows it changed. */
export function executeRows<P extends readonly unknown[], R>(db: RawSqlClient, statement: Statement<P, R>, params: P): Promise<number> {
  return db.$executeRawUnsafe(statement.text, ...params);
}

/** `statement` as a node-postgres query config: prepared once per pooled connection under its name. */
export function namedQuery<P extends readonly unknown[], R>(statement: Statement<P, R>, params: P): pg.QueryConfig<unknown[]> {
  return { name: statement.name, text: statement.text, values: params as unknown as unknown[] };
}

/** Runs `statement` on plain node-postgres, prepared (once per connection) under its name. */
export function pgQuery<P extends readonly unknown[], R>(
  db: SqlClient,
  statement: Statement<P, R>,
  params: P,
): Promise<pg.QueryResult<R & pg.QueryResultRow>> {
  return db.query<R & pg.QueryResultRow>(namedQuery(statement, params));
}

/** `pgQuery`'s rows. */
export async function pgRows<P extends readonly unknown[], R>(db: SqlClient, statement: Statement<P, R>, params: P): Promise<R[]> {
  return (await pgQuery(db, statement, params)).rows;
}

/** The parameter tuple of a statement. */
export type ParamsOf<S> = S extends Statement<infer P, unknown> ? P : never;

/** The row type of a statement. */
export type RowOf<S> = S extends Statement<readonly unknown[], infer R> ? R : never;
