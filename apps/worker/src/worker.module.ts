import { Inject, Module, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { AuditCheckpointWorkerModule } from '@app/auth';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { CampaignsWorkerModule } from '@app/campaigns';
import { CorrelationModule } from '@app/correlation';
import { OutboxRelayModule } from '@app/outbox';
import { JobHandlers, JobName } from '@app/queue';
import { CoreModule } from '@app/runtime';
import { WebhookWorkerModule } from '@app/webhooks';
import { EventsProcessor } from './processors/events.processor.js';
import { MaintenanceProcessor } from './processors/maintenance.processor.js';
import { WebhooksProcessor } from './processors/webhooks.processor.js';

/**
 * The BullMQ role: the outbox relay and the queue processors. It serves
 * /healthz, /readyz and /metrics on WORKER_PORT for probes, nothing else.
 * Domain modules register their job handlers in onModuleInit; by bootstrap
 * every declared job must have one.
 */
@Module({})
export class WorkerModule implements OnApplicationBootstrap {
  constructor(
    private readonly handlers: JobHandlers,
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
        CampaignsWorkerModule,
        WebhookWorkerModule,
        AuditCheckpointWorkerModule,
      ],
      providers: [EventsProcessor, MaintenanceProcessor, WebhooksProcessor],
    };
  }

  onApplicationBootstrap(): void {
    this.handlers.assertComplete(JobName);
    this.events.worker.concurrency = this.config.worker.concurrency;
    this.webhooks.worker.concurrency = this.config.webhooks.concurrency;
  }
}
