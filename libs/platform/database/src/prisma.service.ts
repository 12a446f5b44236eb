import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { StartupError } from '@app/common';
import { APP_CONFIG, redactUrl, type AppConfig } from '@app/config';
import { rowSecurityExempt, setMemberScope } from './database.sql.js';
import { PrismaClient, type Prisma } from './generated/prisma/client.js';
import { executeRows, queryRows, type SqlClient } from './statement.js';

/**
 * Whom a process connects as. `api` and `worker` are the `sigfed_api` and
 * `sigfed_worker` roles, bound by row-level security; `owner` is
 * DATABASE_URL's user, who owns the tables (operator CLI commands only).
 */
export type DatabaseRole = 'api' | 'worker' | 'owner';

/** Injection token of the process's DatabaseRole. */
export const DATABASE_ROLE = Symbol('DATABASE_ROLE');

export type { SqlClient };

/** Options of an interactive transaction. */
export type TransactionOptions = { maxWait?: number; timeout?: number; isolationLevel?: Prisma.TransactionIsolationLevel };

const CONNECTION_TIMEOUT_MS = 5_000;
/** Default bound of an interactive transaction (Prisma's own default is 5 s; callers may ask for more). */
const TRANSACTION_TIMEOUT_MS = 15_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The statements that open `sqlAsMember`'s transaction (see there for the
 * options), as one string; exported for bench/page-cpu.ts, which measures
 * pages in the same transaction.
 */
export function memberTransactionBegin(
  memberId: string,
  statementTimeoutMs: number,
  options: { readOnly?: boolean; indexOrder?: boolean } = {},
): string {
  // The id is interpolated (a multi-statement string takes no parameters): only a UUID may get here.
  if (!UUID.test(memberId)) throw new Error('sqlAsMember needs a member id (a UUID)');
  return (
    `BEGIN${options.readOnly ? ' READ ONLY' : ''}; SET LOCAL statement_timeout = ${Math.trunc(statementTimeoutMs)}; ` +
    (options.indexOrder ? 'SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL enable_bitmapscan = off; ' : '') +
    `SELECT set_config('sigfed.member_id', '${memberId}', true)`
  );
}

/** The URL a role connects with. */
export function databaseUrlOf(config: AppConfig, role: DatabaseRole): string {
  return role === 'owner' ? config.database.url : config.database.roleUrls[role];
}

/**
 * The one Prisma client of a process, on the pg driver adapter (no native
 * engine), connected as the process's role.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnModuleDestroy {
  /** The URL this client connects with (the role's, not necessarily DATABASE_URL). */
  readonly connectionUrl: string;
  /**
   * The connection pool Prisma's driver adapter runs on, shared with
   * `sqlAsMember` for the hot paths (submissions, alert pages), where
   * Prisma's per-query cost (about 0.5 ms of JavaScript and WebAssembly) was
   * a large part of a request's.
   */
  private readonly pool: pg.Pool;
  private readonly statementTimeoutMs: number;
  private readonly logger = new Logger(PrismaService.name);

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(DATABASE_ROLE) readonly role: DatabaseRole,
  ) {
    const url = databaseUrlOf(config, role);
    const pool = new pg.Pool({
      connectionString: url,
      max: config.database.poolSize,
      connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
      idleTimeoutMillis: config.database.poolIdleTimeoutMs,
      // node-postgres's pipeline mode: a statement is sent without waiting for the answer to the one before it
      // on the same connection. Callers that await each statement (Prisma, most paths) see no difference; the
      // transactions below send statements that do not depend on each other together (one round trip).
      pipeline: true,
    });
    super({
      adapter: new PrismaPg(pool),
      // Every interactive transaction waits for a pooled connection as long as a plain query would (the
      // pool's time-out), not Prisma's 2 s: under a burst the hot paths hold the same small pool.
      transactionOptions: { maxWait: CONNECTION_TIMEOUT_MS, timeout: TRANSACTION_TIMEOUT_MS },
    });
    this.pool = pool;
    this.connectionUrl = url;
    this.statementTimeoutMs = Math.trunc(config.requestTimeoutMs);
    // An idle pooled connection that breaks (server restart) is dropped by the pool; without a listener it would crash the process.
    pool.on('error', (error) => this.logger.warn(`idle database connection failed: ${error.message}`));
  }

  async onModuleInit(): Promise<void> {
    await this.$connect();
    if (this.role !== 'owner') await this.assertBoundByRowSecurity();
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
    await this.pool.end();
  }

  /**
   * Runs `fn` in one transaction scoped to `memberId`: row-level security
   * then shows and accepts only that member's rows of the member-owned
   * tables, whatever the queries inside forget to filter. The setting ends
   * with the transaction, so a pooled connection never carries it over.
   */
  async asMember<T>(memberId: string, fn: (tx: Prisma.TransactionClient) => Promise<T>, options?: TransactionOptions): Promise<T> {
    if (!UUID.test(memberId)) throw new Error('asMember needs a member id (a UUID)');
    return this.$transaction(
      async (tx) => {
        await executeRows(tx, setMemberScope, [memberId]);
        return fn(tx);
      },
      // Waiting for a pooled connection as long as a plain query would (the pool's connection time-out), not Prisma's 2 s.
      { maxWait: CONNECTION_TIMEOUT_MS, ...options },
    );
  }

  /**
   * `asMember` for hot paths, without Prisma: `fn` gets a pooled node-postgres
   * connection inside one transaction scoped to `memberId` (row-level
   * security as in `asMember`). `BEGIN` and the setting travel in one round
   * trip. Commits when `fn` resolves, rolls back when it throws.
   *
   * `indexOrder` is for list pages (a LIMIT over an index range in the
   * list's order): their statements are planned once per connection
   * (`plan_cache_mode = force_generic_plan`; a custom plan of a page with its
   * lookups cost more to plan than to run) and without bitmap scans, which
   * for a generic plan would read every row of the member and sort them
   * whenever the average member holds few, so a member with a long history
   * paid for all of it on every page.
   *
   * With `readOnly`, `fn`'s first statements are sent right behind `BEGIN`
   * (pipeline mode), and the result is returned as soon as `fn` resolves:
   * the `COMMIT` of a transaction that wrote nothing cannot change what it
   * read, so the caller waits for neither round trip (the connection goes
   * back to the pool when the `COMMIT` has ended). A read of one statement
   * costs one round trip instead of three. Should `BEGIN` and the member
   * setting fail, the statements behind them fail with the aborted
   * transaction and the call throws, whatever they returned.
   */
  async sqlAsMember<T>(
    memberId: string,
    fn: (db: SqlClient) => Promise<T>,
    options: { readOnly?: boolean; indexOrder?: boolean } = {},
  ): Promise<T> {
    // No statement outlives the HTTP request it serves (REQUEST_TIMEOUT_MS); Prisma's transactions had their own time-outs.
    return this.inTransaction(memberTransactionBegin(memberId, this.statementTimeoutMs, options), fn, options.readOnly === true);
  }

  /**
   * A transaction on a pooled node-postgres connection with no member scope,
   * for the worker's hot paths (correlation), whose role sees every row.
   * Each statement is bounded by `statementTimeoutMs`. Commits when `fn`
   * resolves, rolls back when it throws.
   *
   * Statements that `fn` issues before awaiting the earlier ones
   * (`Promise.all` of a few `pgRows`) are sent together (pipeline mode) and
   * cost one round trip. PostgreSQL still runs them one after the other,
   * each with its own snapshot and seeing the earlier ones' writes, so only
   * statements whose parameters do not depend on each other's rows can go
   * together. When one fails, those behind it fail too (the transaction is
   * aborted) and it rolls back. The same holds in `sqlAsMember`.
   */
  async sqlTransaction<T>(fn: (db: SqlClient) => Promise<T>, options: { statementTimeoutMs: number }): Promise<T> {
    return this.inTransaction(`BEGIN; SET LOCAL statement_timeout = ${Math.trunc(options.statementTimeoutMs)}`, fn, false);
  }

  /** One statement on the pool, in a transaction of its own (no member scope): a `SqlClient` for `pgRows`. */
  query<R extends pg.QueryResultRow>(query: pg.QueryConfig<unknown[]>): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(query);
  }

  /**
   * `readOnly`: `fn` starts without waiting for `BEGIN` (its statements queue
   * behind it on the connection) and the `COMMIT` is not waited for. Only
   * for transactions that write nothing: should `BEGIN` fail, what `fn` ran
   * ran outside it, and only its result is thrown away.
   */
  private async inTransaction<T>(begin: string, fn: (db: SqlClient) => Promise<T>, readOnly: boolean): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    // The pool listens for errors of idle connections only: one that breaks while checked out here
    // (between two statements) would otherwise be an unhandled 'error' event. The next query fails instead.
    const onError = () => (broken = true);
    client.on('error', onError);
    const release = () => {
      client.removeListener('error', onError);
      client.release(broken);
    };
    let result: T;
    try {
      if (readOnly) {
        // Both settle before anything else is sent: `fn` must be done with the connection before it goes back.
        const [begun, ran] = await Promise.allSettled([client.query(begin), fn(client)]);
        if (begun.status === 'rejected') throw begun.reason as Error;
        if (ran.status === 'rejected') throw ran.reason as Error;
        result = ran.value;
      } else {
        await client.query(begin);
        result = await fn(client);
      }
    } catch (error) {
      // A connection that cannot even roll back is not returned to the pool.
      await client.query('ROLLBACK').catch(() => (broken = true));
      release();
      throw error;
    }
    if (readOnly) {
      void client
        .query('COMMIT')
        .catch((error: Error) => {
          broken = true;
          this.logger.warn(`COMMIT of a read-only transaction failed: ${error.message}`);
        })
        .finally(release);
      return result;
    }
    try {
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw error;
    } finally {
      release();
    }
    return result;
  }

  /**
   * Fails the start when an API or worker process would connect as a role
   * that row-level security does not bind (a superuser, BYPASSRLS, or the
   * tables' owner): a misconfigured URL must not silently remove the
   * second line of isolation.
   */
  private async assertBoundByRowSecurity(): Promise<void> {
    const [row] = await queryRows(this, rowSecurityExempt, []);
    if (row?.exempt) {
      const variable = this.role === 'api' ? 'API_DATABASE_URL' : 'WORKER_DATABASE_URL';
      throw new StartupError(
        `the ${this.role} role connects as "${row.user}" (${redactUrl(this.connectionUrl)}), which row-level security does not bind ` +
          `(superuser, BYPASSRLS or owner of the tables); set ${variable} to a sigfed_${this.role} URL (docs/operations.md#database-roles)`,
      );
    }
  }
}
