import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Module, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { OutboxModule } from '@app/outbox';
import { JobHandlers, JobName, keepJobScheduler, QueueName } from '@app/queue';
import { SimilarityService } from './similarity.service.js';

/**
 * The worker side of similar templates: judging after submissions,
 * retractions, members' suspension or reinstatement and band suppression changes, and the expiry sweep of
 * signatures (on the indicators' EXPIRY_SWEEP_SECONDS). Imported by the worker only.
 */
@Module({
  imports: [OutboxModule],
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
    const { events, maintenance } = JobName;
    this.handlers.register(QueueName.Events, events.TemplateSignaturesSubmitted, async (data) => {
      await this.similarity.correlateSubmission((data as { submissionId: string }).submissionId);
    });
    this.handlers.register(QueueName.Events, events.TemplateSignaturesRemoved, async (data) => {
      await this.similarity.remove((data as { signatureIds: string[] }).signatureIds);
    });
    this.handlers.register(QueueName.Events, events.TemplateSignaturesMemberChanged, async (data) => {
      await this.similarity.correlateMember((data as { memberId: string }).memberId);
    });
    this.handlers.register(QueueName.Events, events.TemplateBandsChanged, async (data) => {
      const { keyEpoch, tokens } = data as { keyEpoch: string; tokens: string[] };
      await this.similarity.correlateBands(keyEpoch, tokens);
    });
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
