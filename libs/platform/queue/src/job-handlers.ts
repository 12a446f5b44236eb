import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { QueueName } from './queue.constants.js';

/** Does one job's work; throwing makes BullMQ retry it. */
export type JobHandler = (data: unknown, job: Job) => Promise<void>;

/** A job whose name no module handles: a deployment or programming error, never silent. */
export class UnknownJobError extends Error {
  constructor(queue: string, name: string) {
    super(`no handler for job "${name}" on queue "${queue}"`);
    this.name = 'UnknownJobError';
  }
}

/**
 * Where domain modules register the work behind each job name, so processors
 * stay thin routers and services stay testable without BullMQ.
 */
@Injectable()
export class JobHandlers {
  private readonly handlers = new Map<string, JobHandler>();

  /** Registers the handler of `name` on `queue`; a second handler for the same job is an error. */
  register(queue: QueueName, name: string, handler: JobHandler): void {
    const key = `${queue}\u0000${name}`;
    if (this.handlers.has(key)) throw new Error(`job "${name}" on queue "${queue}" has two handlers`);
    this.handlers.set(key, handler);
  }

  /** The handler of `name` on `queue`, or UnknownJobError. */
  get(queue: QueueName, name: string): JobHandler {
    const handler = this.handlers.get(`${queue}\u0000${name}`);
    if (!handler) throw new UnknownJobError(queue, name);
    return handler;
  }

  /** Throws, naming them, when any declared job name has no handler. */
  assertComplete(declared: Record<string, Record<string, string>>): void {
    const missing = Object.entries(declared).flatMap(([queue, names]) =>
      Object.values(names)
        .filter((name) => !this.handlers.has(`${queue}\u0000${name}`))
        .map((name) => `${queue}/${name}`),
    );
    if (missing.length) throw new Error(`jobs without a handler: ${missing.join(', ')}`);
  }
}
