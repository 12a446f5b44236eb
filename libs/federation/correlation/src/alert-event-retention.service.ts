import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { executeRows, PrismaService } from '@app/database';
import { pruneAlertEvents } from './correlation.sql.js';

/** How often the worker prunes alert events. */
export const PRUNE_EVERY_MS = 15 * 60_000;
const BATCH = 10_000;

/**
 * Keeps alert events (what `alertEvents(after:)` replays) for
 * ALERT_EVENT_RETENTION_HOURS. A member's events are numbered in time order,
 * so deleting by age removes a prefix of each member's numbers: a resume
 * point that still exists has every later event behind it.
 */
@Injectable()
export class AlertEventRetention {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
  ) {}

  /** Deletes the events past retention, a batch per statement; returns how many. */
  async prune(): Promise<number> {
    const hours = this.config.subscriptions.eventRetentionHours;
    let total = 0;
    for (;;) {
      const removed = await executeRows(this.prisma, pruneAlertEvents, [hours, BATCH]);
      total += removed;
      if (removed < BATCH) return total;
    }
  }
}
