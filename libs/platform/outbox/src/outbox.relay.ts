import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type pg from 'pg';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { connectPg, executeRows, pgQuery, pgRows, PrismaService } from '@app/database';
import { JobHandlers, JobName, keepJobScheduler, QueueName } from '@app/queue';
import { EventConsumers } from './event-consumers.js';
import { outboxJobId, type OutboxJob } from './outbox-job.js';
import * as outboxSql from './outbox.sql.js';
import { LISTEN_OUTBOX, type DueEventRow } from './outbox.sql.js';

const BATCH = 500;
const REDIS_TIMEOUT_MS = 5_000;
/** Processed rows are kept this long for inspection, then deleted. */
const RETENTION_HOURS = 24;

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Moves committed outbox rows onto the events queue (worker role only), one
 * job per consumer of the row's topic. Woken by NOTIFY on commit and by a
 * poll as a fallback. A row relayed but not processed within
 * OUTBOX_REDELIVER_AFTER_SECONDS is relayed again for the consumers that
 * have not finished: that is what replays events whose jobs a Redis restart
 * lost. Job ids are `outbox-<id>-<consumer>`, so a row relayed twice while
 * its jobs still exist runs once per consumer.
 */
@Injectable()
export class OutboxRelay implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelay.name);
  private listener?: pg.Client;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private stopScheduler?: () => void;
  private relisten?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly handlers: JobHandlers,
    private readonly consumers: EventConsumers,
    @InjectQueue(QueueName.Events) private readonly events: Queue,
    @InjectQueue(QueueName.Maintenance) private readonly maintenance: Queue,
  ) {}

  onModuleInit(): void {
    this.handlers.register(QueueName.Maintenance, JobName.maintenance.OutboxCleanup, () => this.cleanup());
  }

  async onApplicationBootstrap(): Promise<void> {
    this.stopScheduler = await keepJobScheduler(this.maintenance, JobName.maintenance.OutboxCleanup, 3_600_000);
    await this.listen();
    this.timer = setInterval(() => this.wake(), this.config.outbox.pollMs);
    this.wake();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.stopScheduler?.();
    clearTimeout(this.relisten);
    await this.running;
    await this.listener?.end().catch(() => undefined);
  }

  /** Starts a drain, or asks the running one to go round again. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((error: Error) => this.logger.warn(`outbox relay will retry: ${error.message}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    let client: pg.Client | undefined;
    try {
      client = await connectPg(this.prisma.connectionUrl);
      client.on('notification', () => this.wake());
      client.on('error', (error) => {
        this.logger.warn(`outbox LISTEN connection lost (${error.message}); polling until it is back`);
        this.listener = undefined;
        this.listenLater();
      });
      await client.query(LISTEN_OUTBOX);
      this.listener = client;
    } catch (error) {
      // Postgres is down (at start, or still down when the lost connection is retried): keep
      // trying, or the relay would be left polling until the worker restarts.
      this.logger.warn(`cannot LISTEN for outbox events (${(error as Error).message}); polling until it can`);
      void client?.end().catch(() => undefined);
      this.listenLater();
    }
  }

  /** Tries LISTEN again after a poll interval; one try pending at a time. */
  private listenLater(): void {
    if (this.stopped || this.relisten) return;
    this.relisten = setTimeout(() => {
      this.relisten = undefined;
      void this.listen();
    }, this.config.outbox.pollMs);
  }

  /**
   * Relays every due row, a batch per transaction, on plain node-postgres
   * with prepared statements (Prisma's interactive transaction cost more
   * JavaScript than the relay's own work). The rows are marked relayed when
   * taken and stay locked while their jobs are queued, so a second relay
   * skips them; if queueing fails (or the worker dies) the transaction rolls
   * back and they are due again.
   */
  async drain(): Promise<void> {
    for (;;) {
      const relayed = await this.prisma.sqlTransaction(
        async (db) => {
          const rows = await pgRows(db, outboxSql.claimDue, [this.config.outbox.redeliverAfterSeconds, BATCH]);
          if (rows.length === 0) return 0;
          const idle = await within(this.enqueue(rows), REDIS_TIMEOUT_MS, 'enqueueing outbox events');
          // A row with no consumer left to run (all finished, or none in this version) is done.
          if (idle.length) await pgQuery(db, outboxSql.markIdle, [idle]);
          return rows.length;
        },
        { statementTimeoutMs: REDIS_TIMEOUT_MS * 2 },
      );
      if (relayed < BATCH || this.stopped) return;
    }
  }

  /** Queues the jobs of the rows' unfinished consumers; returns the ids of rows that have none. */
  private async enqueue(rows: DueEventRow[]): Promise<string[]> {
    const idle: string[] = [];
    const fresh: ReturnType<typeof this.job>[] = [];
    const again: ReturnType<typeof this.job>[] = [];
    for (const row of rows) {
      const pending = this.consumers.of(row.topic).filter((c) => !row.consumers_done.includes(c.id));
      if (pending.length === 0) {
        if (this.consumers.of(row.topic).length === 0)
          this.logger.warn(`outbox event ${row.id} (${row.topic}) has no consumer; marked processed`);
        idle.push(row.id);
        continue;
      }
      for (const consumer of pending) (row.relay_count === 0 ? fresh : again).push(this.job(row, consumer.id));
    }
    if (fresh.length) await this.events.addBulk(fresh);
    for (const job of again) {
      // Overdue: its job was lost (Redis restarted), or it failed every attempt.
      const existing = await this.events.getJob(job.opts.jobId);
      if (!existing) await this.events.addBulk([job]);
      else if (await existing.isFailed()) await existing.retry('failed');
    }
    if (again.length) {
      const events = new Set(again.map((job) => job.data.outboxId)).size;
      this.logger.warn(`re-relayed ${events} overdue outbox event(s) (${again.length} consumer job(s))`);
    }
    return idle;
  }

  private job(row: DueEventRow, consumer: string) {
    const data: OutboxJob = { outboxId: String(row.id), consumer, payload: row.payload };
    return { name: row.topic, data, opts: { jobId: outboxJobId(row.id, consumer) } };
  }

  private async cleanup(): Promise<void> {
    await executeRows(this.prisma, outboxSql.deleteProcessed, [RETENTION_HOURS]);
  }
}
