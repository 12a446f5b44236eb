import { getQueueToken } from '@nestjs/bullmq';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { Gauge } from 'prom-client';
import { migrationsDir } from '@app/common';
import { migrationStatus, PrismaService, queryRows } from '@app/database';
import { ALL_QUEUES } from '@app/queue';
import { RedisService } from '@app/redis';
import { MetricsService } from './metrics.service.js';
import { ping } from './observability.sql.js';

type CheckResult = { status: 'up' | 'down'; error?: string; pending?: string[] };

/** The state of each dependency, as /readyz and `cli doctor` report it. */
export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  checks: { postgres: CheckResult; redis: CheckResult; migrations: CheckResult };
}

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children'] as const;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Checks Postgres, Redis and migrations, and exports queue depths as metrics. */
@Injectable()
export class ReadinessService implements OnModuleInit {
  private migrationsReady = false;
  private queues: Queue[] = [];

  constructor(
    private readonly prisma: PrismaService,
    private readonly metrics: MetricsService,
    private readonly moduleRef: ModuleRef,
    private readonly redis: RedisService,
  ) {}

  onModuleInit(): void {
    this.queues = ALL_QUEUES.map((name) => this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }));
    const queues = this.queues;
    new Gauge({
      name: 'sigfed_queue_jobs',
      help: 'Jobs in each BullMQ queue by state (read from Redis at scrape time; failed = kept failed jobs).',
      labelNames: ['queue', 'state'] as const,
      registers: [this.metrics.registry],
      async collect() {
        const counts = await Promise.all(queues.map((q) => q.getJobCounts(...JOB_STATES).catch(() => null)));
        counts.forEach((count, i) => {
          if (!count) return;
          for (const state of JOB_STATES) this.set({ queue: queues[i].name, state }, count[state] ?? 0);
        });
      },
    });
  }

  /** Runs every check with a short time-out; never throws. */
  async check(): Promise<ReadinessReport> {
    const [postgres, redis, migrations] = await Promise.all([
      this.run(() => queryRows(this.prisma, ping, []), 'PostgreSQL'),
      this.run(() => this.redisPing(), 'Redis'),
      this.checkMigrations(),
    ]);
    const ready = [postgres, redis, migrations].every((c) => c.status === 'up');
    return { status: ready ? 'ready' : 'not_ready', checks: { postgres, redis, migrations } };
  }

  private async redisPing(): Promise<void> {
    await this.redis.ping();
  }

  private async run(probe: () => Promise<unknown>, what: string): Promise<CheckResult> {
    try {
      await withTimeout(probe(), 2_000, what);
      return { status: 'up' };
    } catch (error) {
      return { status: 'down', error: (error as Error).message.split('\n')[0] };
    }
  }

  private async checkMigrations(): Promise<CheckResult> {
    if (this.migrationsReady) return { status: 'up' };
    try {
      const status = await withTimeout(
        // As the process's own role: an API process holds no owner connection.
        migrationStatus(this.prisma.connectionUrl, migrationsDir()),
        3_000,
        'migration status',
      );
      if (status.pending.length > 0) return { status: 'down', pending: status.pending };
      this.migrationsReady = true; // applied migrations are never un-applied
      return { status: 'up' };
    } catch (error) {
      return { status: 'down', error: (error as Error).message.split('\n')[0] };
    }
  }
}
