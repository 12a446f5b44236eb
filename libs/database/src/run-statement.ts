import type pg from 'pg';
import { namedQuery, type Statement } from './statement.js';

/** What runs a prepared statement: a pooled connection (`SqlClient`) or `PrismaService.query`. */
export interface StatementRunner {
  query<R extends pg.QueryResultRow>(config: pg.QueryConfig<unknown[]>): Promise<pg.QueryResult<R>>;
}

/** Runs a named statement prepared (once per pooled connection, under its name) with its typed parameters; returns its typed rows. */
export async function runStatement<P extends readonly unknown[], R>(db: StatementRunner, s: Statement<P, R>, params: P): Promise<R[]> {
  const result = await db.query<R & pg.QueryResultRow>(namedQuery(s, params));
  return result.rows;
}
