import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Module, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AuditModule } from '@app/audit';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { OutboxModule, OutboxRelayModule } from '@app/outbox';
import { JobHandlers, JobName, keepJobScheduler, QueueName } from '@app/queue';
import { CorrelationService } from './correlation.service.js';
import { AlertEventRetention, PRUNE_EVERY_MS } from './alert-event-retention.service.js';
import { ExpiryService } from './expiry.service.js';

/**
 * The worker side of matching: correlation (CorrelationService's
 * `@ConsumesEvent` methods) after submissions, retractions, suppression and
 * quarantine changes, members' suspension or reinstatement and key-epoch
 * retirement, verdict announcements (and quarantine), the expiry sweep, and
 * pruning the alert events kept for resumed subscriptions. Imported by the
 * worker only.
 */
@Module({
  imports: [OutboxModule, OutboxRelayModule, AuditModule],
  providers: [CorrelationService, ExpiryService, AlertEventRetention],
  exports: [CorrelationService, ExpiryService, AlertEventRetention],
})
export class CorrelationModule implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private stopSchedulers: (() => void)[] = [];

  constructor(
    private readonly handlers: JobHandlers,
    private readonly expiry: ExpiryService,
    private readonly retention: AlertEventRetention,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QueueName.Maintenance) private readonly maintenance: Queue,
  ) {}

  onModuleInit(): void {
    const { maintenance } = JobName;
    this.handlers.register(QueueName.Maintenance, maintenance.ExpireIndicators, async () => {
      await this.expiry.sweep();
    });
    this.handlers.register(QueueName.Maintenance, maintenance.PruneAlertEvents, async () => {
      await this.retention.prune();
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.stopSchedulers = [
      await keepJobScheduler(this.maintenance, JobName.maintenance.ExpireIndicators, this.config.indicators.expirySweepSeconds * 1_000),
      await keepJobScheduler(this.maintenance, JobName.maintenance.PruneAlertEvents, PRUNE_EVERY_MS),
    ];
  }

  onModuleDestroy(): void {
    for (const stop of this.stopSchedulers) stop();
  }
}
