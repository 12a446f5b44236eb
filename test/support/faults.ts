import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { SUBMIT_INDICATORS, type FetchLike, type IndicatorInput, type SubmissionResult } from '@app/sdk';
import { checkInvariants, describeProblems, type Acknowledged, type InvariantReport } from '../../reliability/invariants.js';
import { createEndpoint, createMembers, type RunMember } from '../../reliability/members.js';
import { freePort } from '@app/common';
import { RoleProcess, waitFor } from '../../reliability/processes.js';
import { Receivers, type ReceiverPath } from '../../reliability/receivers.js';

/**
 * Twenty attempts within 17 s: faults end well inside a test's time, and a
 * receiver failing half the time loses a delivery once in a million.
 */
export const FAULT_RETRY_SCHEDULE = `0,200ms,300ms,500ms,500ms,${Array(15).fill('1s').join(',')}`;
export const FAULT_ATTEMPTS = FAULT_RETRY_SCHEDULE.split(',').length;

/** A token unique to this run. */
export function token(label: string): string {
  return createHash('sha256').update(`${label}:${randomUUID()}`).digest('hex');
}

/** Items of one type and epoch for these tokens. */
export function items(tokens: string[], extra: Partial<IndicatorInput> = {}): IndicatorInput[] {
  return tokens.map((t) => ({ type: 'ACCOUNT_SIGNAL', keyEpoch: 'faults', token: t, ...extra }));
}

/**
 * The compiled API and worker (dist/) against this file's database and Redis
 * prefix (or the ones given), loopback webhook receivers, and a database
 * client for checks; plus what the members were told, for the invariants.
 */
export class FaultStack {
  readonly acknowledged = new Map<string, Acknowledged>();
  readonly endpoints = new Map<string, ReceiverPath>();
  /** Requests of the members' clients that failed (no answer, or 5xx): how much of a fault they felt. */
  failedRequests = 0;

  private constructor(
    readonly api: RoleProcess,
    readonly worker: RoleProcess,
    public db: pg.Client,
    readonly receivers: Receivers,
    readonly env: Record<string, string>,
  ) {}

  /** Starts both roles (the API first: it may have to create and migrate the database). */
  static async start(overrides: Record<string, string> = {}): Promise<FaultStack> {
    const apiPort = await freePort();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: process.env.DATABASE_URL ?? '',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_PREFIX: process.env.REDIS_PREFIX ?? 'sigfed-faults',
      DATA_DIR: process.env.DATA_DIR ?? '',
      DATABASE_AUTO_CREATE: 'false',
      MIGRATE_ON_START: 'false',
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8',
      WEBHOOK_RETRY_SCHEDULE: FAULT_RETRY_SCHEDULE,
      OUTBOX_POLL_MS: '200',
      OUTBOX_REDELIVER_AFTER_SECONDS: '2',
      // Faults and crashes are under test here, not the per-member submission rate (a retried batch is charged again).
      SUBMISSION_BUDGET_POINTS: '1000000000',
      // Nor the lookup-oracle defences: the fault runs submit nothing but new tokens.
      SUBMISSION_QUOTA_PER_HOUR_IP_RANGE: '1000000000',
      PROBING_MIN_INDICATORS: '1000000000',
      ...overrides,
    };
    const api = new RoleProcess('api', apiPort, env, env.DATA_DIR);
    const worker = new RoleProcess('worker', await freePort(), env, env.DATA_DIR);
    const receivers = await Receivers.start();
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    db.on('error', () => undefined);
    try {
      await api.start();
      await worker.start();
      await db.connect();
    } catch (error) {
      await api.close();
      await worker.close();
      await receivers.close();
      throw error;
    }
    return new FaultStack(api, worker, db, receivers, env);
  }

  /**
   * `count` members, each with a webhook endpoint on its own receiver path,
   * failing on purpose `failRates[i]` of the time (0 when not given) and
   * answering after `delayMs`.
   */
  async members(count: number, failRates: number[] = [], delayMs = 0): Promise<RunMember[]> {
    const counting: FetchLike = (input, init) =>
      fetch(input, init).then(
        async (res) => {
          // GraphQL answers a failed resolver with HTTP 200 and errors[].extensions.code.
          if (res.status >= 500 || (await res.clone().text()).includes('"INTERNAL_SERVER_ERROR"')) this.failedRequests++;
          return res;
        },
        (error: unknown) => {
          this.failedRequests++;
          throw error;
        },
      );
    const members = await createMembers(this.db, this.api.url, count, { label: 'Fault lab', fetch: counting });
    for (const m of members) {
      this.acknowledged.set(m.id, { keys: new Set(), submissionIds: new Set(), accepted: 0 });
      const path = this.receivers.add(`/${m.id}`, failRates[m.index] ?? 0, delayMs);
      const endpoint = await createEndpoint(m, this.receivers.url(path.path));
      path.secret = endpoint.secret;
      this.endpoints.set(endpoint.id, path);
    }
    return members;
  }

  /** Submits through the API (the SDK retries transient failures); records the acknowledgement. */
  async submit(member: RunMember, batch: IndicatorInput[], idempotencyKey = `fault-${randomUUID()}`): Promise<SubmissionResult> {
    const data = await member.client.graphql<{ submitIndicators: SubmissionResult }>(SUBMIT_INDICATORS, {
      input: { idempotencyKey, indicators: batch },
    });
    this.acknowledge(member.id, idempotencyKey, data.submitIndicators);
    return data.submitIndicators;
  }

  /** Records an acknowledgement a test obtained by other means (raw HTTP). */
  acknowledge(memberId: string, key: string, result: SubmissionResult): void {
    const ack = this.acknowledged.get(memberId)!;
    if (!ack.keys.has(key)) ack.accepted += result.accepted;
    ack.keys.add(key);
    ack.submissionIds.add(result.submissionId);
  }

  /** Waits until every outbox event is processed and no delivery is PENDING. */
  async drained(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        const { rows } = await this.db.query<{ n: number }>(
          `SELECT (SELECT count(*) FROM outbox_events WHERE processed_at IS NULL)
                + (SELECT count(*) FROM webhook_deliveries WHERE status = 'PENDING') AS n`,
        );
        return Number(rows[0].n) === 0;
      },
      'outbox processed and deliveries finished',
      timeoutMs,
    ).catch(async (error: Error) => {
      const stuck = await this.db.query(
        `SELECT 'outbox' AS what, id::text, topic AS detail, relay_count AS n, relayed_at AS at FROM outbox_events WHERE processed_at IS NULL
         UNION ALL
         SELECT 'delivery', id::text, 'round ' || round, attempt_count, next_attempt_at FROM webhook_deliveries WHERE status = 'PENDING'
         LIMIT 10`,
      );
      throw new Error(
        `${error.message}; still waiting (first 10): ${JSON.stringify(stuck.rows)}\nworker output:\n${this.worker.output.slice(-4000)}`,
      );
    });
  }

  /** A new database connection, after the server was restarted under the old one. */
  async reconnect(): Promise<void> {
    await this.db.end().catch(() => undefined);
    const db = new pg.Client({ connectionString: this.env.DATABASE_URL });
    db.on('error', () => undefined);
    await db.connect();
    this.db = db;
  }

  /**
   * The invariants over everything this stack's members did (what `submit`
   * recorded, or `acknowledged` when given; `false` to skip that part);
   * throws naming every broken one.
   */
  async assertInvariants(options: { acknowledged?: Map<string, Acknowledged> | false } = {}): Promise<InvariantReport> {
    const report = await checkInvariants(this.db, {
      acknowledged: options.acknowledged === false ? undefined : (options.acknowledged ?? this.acknowledged),
      receivers: this.endpoints,
      attemptsAllowed: FAULT_ATTEMPTS,
    });
    const problems = describeProblems(report);
    if (problems || report.lost || report.pending) {
      throw new Error(`invariants broken (lost ${report.lost}, pending ${report.pending}):\n${problems}`);
    }
    return report;
  }

  /** Backends of this database waiting for a lock (a statement blocked behind the test's own lock). */
  async lockWaiters(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE NOT l.granted AND a.datname = current_database()`,
    );
    return rows[0].n;
  }

  async close(): Promise<void> {
    await this.api.close();
    await this.worker.close();
    await this.receivers.close();
    await this.db.end().catch(() => undefined);
  }
}

/** A second connection holding row locks in an open transaction, to freeze a statement mid-flight. */
export class LockHolder {
  private constructor(private readonly client: pg.Client) {}

  /** Opens a transaction and runs `sql` (a SELECT ... FOR UPDATE) in it. */
  static async hold(url: string, sql: string, params: unknown[]): Promise<LockHolder> {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    await client.query('BEGIN');
    const { rowCount } = await client.query(sql, params);
    if (!rowCount) throw new Error(`lock holder locked nothing: ${sql}`);
    return new LockHolder(client);
  }

  async release(): Promise<void> {
    await this.client.query('ROLLBACK').catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}
