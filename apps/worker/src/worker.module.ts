import { Inject, Module, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { AlertStreamWorkerModule } from '@app/alert-stream';
import { AuditCheckpointWorkerModule } from '@app/auth';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { CampaignsWorkerModule } from '@app/campaigns';
import { CorrelationModule } from '@app/correlation';
import { EventConsumers, OutboxRelayModule } from '@app/outbox';
import { JobHandlers, JobName } from '@app/queue';
import { CoreModule } from '@app/runtime';
import { SimilarityWorkerModule } from '@app/similarity';
import { WebhookWorkerModule } from '@app/webhooks';
import { EventsProcessor } from './processors/events.processor.js';
import { MaintenanceProcessor } from './processors/maintenance.processor.js';
import { WebhooksProcessor } from './processors/webhooks.processor.js';

/**
 * The BullMQ role: the outbox relay and the queue processors. It serves
 * /healthz, /readyz and /metrics on WORKER_PORT for probes, nothing else.
 * Event consumers are `@ConsumesEvent` methods, found at start-up; by
 * bootstrap every event must have one and every consumer's event must exist.
 * Maintenance and webhook jobs are registered with JobHandlers in
 * onModuleInit; every declared job must have a handler.
 */
@Module({})
export class WorkerModule implements OnApplicationBootstrap {
  constructor(
    private readonly handlers: JobHandlers,
    private readonly consumers: EventConsumers,
    private readonly events: EventsProcessor,
    private readonly webhooks: WebhooksProcessor,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        CoreModule.forRoot(config, 'worker'),
        OutboxRelayModule,
        CorrelationModule,
        SimilarityWorkerModule,
        CampaignsWorkerModule,
        WebhookWorkerModule,
        AlertStreamWorkerModule,
        AuditCheckpointWorkerModule,
      ],
      providers: [EventsProcessor, MaintenanceProcessor, WebhooksProcessor],
    };
  }

  onApplicationBootstrap(): void {
    this.handlers.assertComplete(JobName);
    this.consumers.assertComplete();
    this.events.worker.concurrency = this.config.worker.concurrency;
    this.webhooks.worker.concurrency = this.config.webhooks.concurrency;
  }
}
