import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Module, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { JobHandlers, JobName, keepJobScheduler, QueueName } from '@app/queue';
import { AuditCheckpointModule } from './audit-checkpoint.module.js';
import { AuditCheckpointService } from './audit-checkpoint.service.js';

/** The worker's periodic audit checkpoint, every AUDIT_CHECKPOINT_INTERVAL_SECONDS. Imported by the worker only. */
@Module({ imports: [AuditCheckpointModule] })
export class AuditCheckpointWorkerModule implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private stopScheduler?: () => void;

  constructor(
    private readonly handlers: JobHandlers,
    private readonly checkpoints: AuditCheckpointService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QueueName.Maintenance) private readonly maintenance: Queue,
  ) {}

  onModuleInit(): void {
    this.handlers.register(QueueName.Maintenance, JobName.maintenance.AuditCheckpoint, async () => {
      await this.checkpoints.create({ skipUnchanged: true });
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.stopScheduler = await keepJobScheduler(
      this.maintenance,
      JobName.maintenance.AuditCheckpoint,
      this.config.audit.checkpointIntervalSeconds * 1_000,
    );
  }

  onModuleDestroy(): void {
    this.stopScheduler?.();
  }
}
