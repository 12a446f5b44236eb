import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Piscina } from 'piscina';
import { projectRoot } from '@app/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import type { EvaluationOutcome, EvaluationTask } from './oprf-evaluation.worker.js';

/**
 * The compiled worker file. From dist/ it sits beside this one; from the
 * TypeScript sources (tests) it is the build's copy, since a worker thread
 * runs plain JavaScript.
 */
export function evaluationWorkerFile(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return join(here, '..', 'oprf-evaluation.worker.js');
  return join(projectRoot(), 'dist', 'libs', 'federation', 'key-epochs', 'src', 'oprf-evaluation.worker.js');
}

/**
 * OPRF evaluations run on a pool of OPRF_EVALUATION_THREADS worker threads
 * (about 1 ms of CPU per element): a batch of 256 never holds the event loop,
 * so other requests keep their latency. Calls beyond the threads wait in the
 * pool's queue, first come first served.
 */
@Injectable()
export class OprfEvaluationPool implements OnModuleDestroy {
  private readonly logger = new Logger(OprfEvaluationPool.name);
  private pool: Piscina<EvaluationTask, EvaluationOutcome> | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Evaluates one call's elements on a worker thread (started on first use). */
  run(task: EvaluationTask): Promise<EvaluationOutcome> {
    return this.started().run(task);
  }

  /** Threads and queued calls, for metrics and the bench. */
  get stats(): { threads: number; queued: number } {
    return { threads: this.pool?.threads.length ?? 0, queued: this.pool?.queueSize ?? 0 };
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool?.destroy();
    this.pool = undefined;
  }

  private started(): Piscina<EvaluationTask, EvaluationOutcome> {
    if (this.pool) return this.pool;
    const filename = evaluationWorkerFile();
    if (!existsSync(filename)) throw new Error(`the OPRF evaluation worker ${filename} is missing: run npm run build`);
    const threads = this.config.oprf.threads;
    this.pool = new Piscina({ filename, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
    this.logger.log(`OPRF evaluation pool started with ${threads} thread(s)`);
    return this.pool;
  }
}
