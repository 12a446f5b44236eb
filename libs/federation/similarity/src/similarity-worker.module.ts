import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Module, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AuditModule } from '@app/audit';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { OutboxModule } from '@app/outbox';
import { JobHandlers, JobName, keepJobScheduler, QueueName } from '@app/queue';
import { SimilarityService } from './similarity.service.js';

/**
 * The worker side of similar templates: judging after submissions,
 * retractions, members' suspension or reinstatement, band suppression and
 * quarantine changes, key-epoch retirement and verdicts on SIMILAR alerts
 * (SimilarityService's `@ConsumesEvent` methods), and the expiry
 * sweep of signatures (on the indicators' EXPIRY_SWEEP_SECONDS). Imported by
 * the worker only.
 */
@Module({
  imports: [OutboxModule, AuditModule],
  providers: [SimilarityService],
  exports: [SimilarityService],
})
export class SimilarityWorkerModule implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private stopScheduler: (() => void) | undefined;

  constructor(
    private readonly handlers: JobHandlers,
    private readonly similarity: SimilarityService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QueueName.Maintenance) private readonly maintenance: Queue,
  ) {}

  onModuleInit(): void {
    const { maintenance } = JobName;
    this.handlers.register(QueueName.Maintenance, maintenance.ExpireTemplateSignatures, async () => {
      await this.similarity.sweep();
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.stopScheduler = await keepJobScheduler(
      this.maintenance,
      JobName.maintenance.ExpireTemplateSignatures,
      this.config.indicators.expirySweepSeconds * 1_000,
    );
  }

  onModuleDestroy(): void {
    this.stopScheduler?.();
  }
}
