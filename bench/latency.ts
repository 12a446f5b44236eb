import { createServer, type Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { open } from './database.js';
import { baselineParams, BASELINE_MATCH_STATEMENT, BASELINE_UPSERT_STATEMENT, serverIngest, type ServerContext } from './ingest.js';
import { percentiles, sleep, type Percentiles } from './stats.js';
import type { Batch, Workload } from './workload.js';

/**
 * Where the clock stops for an alert. With issue 5's webhooks this is the
 * first byte of the alert's webhook request at a local receiver; without
 * them, the commit of the alert row (a bench-only trigger NOTIFYs, and
 * NOTIFY is delivered at commit).
 */
export interface AlertObserver {
  readonly kind: 'webhook' | 'alert-row';
  /** One line for the report: what "arrived" means. */
  readonly meaning: string;
  /** Alert id -> performance.now() of its arrival. */
  readonly arrivals: Map<string, number>;
  close(): Promise<void>;
}

/** Alert row committed: a trigger installed on the bench database only, removed on close. */
export class AlertRowObserver implements AlertObserver {
  readonly kind = 'alert-row';
  readonly meaning = 'commit of the submission -> commit of its alert row (NOTIFY from a bench-only trigger); webhooks not measured';
  readonly arrivals = new Map<string, number>();

  private constructor(private readonly listener: pg.Client) {}

  static async start(url: string): Promise<AlertRowObserver> {
    const listener = await open(url);
    await listener.query(`
      CREATE OR REPLACE FUNCTION bench_alert_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('bench_alert', NEW.id::text); RETURN NULL; END $$;
      CREATE TRIGGER bench_alert_notify AFTER INSERT ON alerts FOR EACH ROW EXECUTE FUNCTION bench_alert_notify();
      LISTEN bench_alert;`);
    const observer = new AlertRowObserver(listener);
    listener.on('notification', (n) => {
      if (n.payload && !observer.arrivals.has(n.payload)) observer.arrivals.set(n.payload, performance.now());
    });
    return observer;
  }

  async close(): Promise<void> {
    await this.listener.query('DROP TRIGGER IF EXISTS bench_alert_notify ON alerts; DROP FUNCTION IF EXISTS bench_alert_notify()');
    await this.listener.end();
  }
}

/**
 * A loopback HTTP server that answers 204 at once (so deliveries succeed)
 * and hands each request's body, parsed as JSON (undefined when it is not),
 * to `onBody` with the time it arrived.
 */
export async function startLoopbackReceiver(onBody: (body: unknown, at: number) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const at = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(204).end();
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      onBody(body, at);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}` };
}

/**
 * A webhook receiver on loopback: the arrival time is taken when the
 * request's head has been read (its first bytes), before the body; the body
 * names the alert (`data.id`). Answers 204 so deliveries succeed at once.
 */
export class WebhookReceiver implements AlertObserver {
  readonly kind = 'webhook';
  readonly meaning = 'commit of the submission -> first byte of the alert.created webhook at a local receiver';
  readonly arrivals = new Map<string, number>();
  deliveries = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    const { server, url } = await startLoopbackReceiver((raw, at) => {
      receiver.deliveries += 1;
      const body = raw as { type?: string; data?: { id?: string; alert?: { id?: string } } } | undefined;
      const id = body?.data?.id ?? body?.data?.alert?.id;
      if (body?.type === 'alert.created' && id && !receiver.arrivals.has(id)) receiver.arrivals.set(id, at);
    });
    const receiver = new WebhookReceiver(server, url);
    return receiver;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Alert latency at one batch size. */
export interface LatencyResult {
  batchSize: number;
  observer: AlertObserver['kind'];
  meaning: string;
  /** Offered load: one batch every intervalMs, spread over the submitters. */
  intervalMs: number;
  offeredRate: number;
  server: Percentiles;
  /**
   * With webhooks: the same alerts, clock stopped at their alert row's
   * commit, so that correlation and delivery show separately.
   */
  toAlertRow?: Percentiles;
  /** Hand-written pipeline: upsert committed -> match row committed by the next statement. */
  baseline: Percentiles;
  missing: number;
}

/**
 * Submits the workload at a steady pace below saturation and measures, per
 * alert, from the answer of the submission that caused it (the answer is
 * sent right after the commit) to its arrival at `observer`, and at
 * `alertRows` when given.
 */
export async function alertLatency(
  ctx: ServerContext,
  observer: AlertObserver,
  workload: Workload,
  intervalMs: number,
  alertRows?: AlertObserver,
): Promise<Omit<LatencyResult, 'baseline'>> {
  const submitters = workload.batches.length;
  const answeredAt = new Map<string, number>();
  const ids = new Set<string>(observer.arrivals.keys());
  await serverIngest(ctx, workload, {
    schedule: (m, b) => (b * submitters + m) * intervalMs,
    onAnswered: (batch: Batch, at: number) => answeredAt.set(batch.idempotencyKey, at),
  });
  // Webhooks may still be on their way after the alert rows are written.
  const expected = ids.size + workload.expected.alerts;
  const deadline = Date.now() + 120_000;
  while (observer.arrivals.size < expected && Date.now() < deadline) await sleep(50);

  const byToken = new Map<string, string>();
  for (const own of workload.batches) {
    for (const batch of own) for (const item of batch.items) if (item.kind === 'hit') byToken.set(item.token, batch.idempotencyKey);
  }
  const fresh = [...observer.arrivals.keys()].filter((id) => !ids.has(id));
  const { rows } = await ctx.db.query<{ id: string; token: string }>(
    `SELECT a.id, encode(m.token, 'hex') AS token FROM alerts a JOIN matches m ON m.id = a.match_id WHERE a.id = ANY($1::uuid[])`,
    [fresh],
  );
  const samples = (arrivals: Map<string, number>) => {
    const out: number[] = [];
    for (const row of rows) {
      const key = byToken.get(row.token);
      const answered = key ? answeredAt.get(key) : undefined;
      const arrived = arrivals.get(row.id);
      if (answered !== undefined && arrived !== undefined) out.push(Math.max(0, arrived - answered));
    }
    return out;
  };
  const server = samples(observer.arrivals);
  return {
    batchSize: workload.batchSize,
    observer: observer.kind,
    meaning: observer.meaning,
    intervalMs,
    offeredRate: workload.batchSize / (intervalMs / 1000),
    server: percentiles(server),
    toAlertRow: alertRows ? percentiles(samples(alertRows.arrivals)) : undefined,
    missing: workload.expected.alerts - server.length,
  };
}

/**
 * The latency baseline at the same pace: each batch's upsert statement,
 * then (once it has committed) the match join as its own statement; the
 * figure is the second statement's time, i.e. commit -> match row written
 * by a hand-written pipeline with no queue in between.
 */
export async function baselineLatency(url: string, memberIds: string[], workload: Workload, intervalMs: number): Promise<Percentiles> {
  const submitters = workload.batches.length;
  const clients = await Promise.all(workload.batches.map(() => open(url)));
  try {
    const samples: number[] = [];
    const start = performance.now();
    await Promise.all(
      workload.batches.map(async (own, m) => {
        for (let b = 0; b < own.length; b++) {
          const wait = start + (b * submitters + m) * intervalMs - performance.now();
          if (wait > 0) await sleep(wait);
          const params = baselineParams(own[b], memberIds[m]);
          await clients[m].query(BASELINE_UPSERT_STATEMENT, params);
          const committed = performance.now();
          await clients[m].query(BASELINE_MATCH_STATEMENT, params.slice(0, 9));
          samples.push(performance.now() - committed);
        }
      }),
    );
    return percentiles(samples);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}
