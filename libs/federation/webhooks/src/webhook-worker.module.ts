import { Inject, Logger, Module, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AlertsCoreModule } from '@app/alerts';
import { AuditModule } from '@app/audit';
import { CampaignViewsModule } from '@app/campaigns';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { OutboxModule } from '@app/outbox';
import { JobHandlers, JobName, QueueName } from '@app/queue';
import { SecretsModule } from '@app/secrets';
import { addressPolicyProvider } from './address-policy.provider.js';
import { AttemptRecorder } from './delivery/attempt-verdict.js';
import { DeliveryRows } from './delivery/delivery-rows.js';
import { EndpointSlots } from './delivery/endpoint-slots.js';
import { SlotProtocol } from './delivery/slot-protocol.js';
import { WebhookDeliveryService, type DeliverJob } from './webhook-delivery.service.js';
import { WebhookDispatchService } from './webhook-dispatch.service.js';
import { WebhookKeysService } from './webhook-keys.service.js';

/**
 * The worker side of webhook delivery: turns outbox events into webhook
 * deliveries (WebhookDispatchService's `@ConsumesEvent` methods), runs delivery attempts, and sweeps
 * for deliveries whose queue jobs a Redis restart lost. The sweep runs on a
 * timer in the process rather than as a BullMQ repeatable job, because a
 * Redis that lost its data lost its schedulers too.
 */
@Module({
  imports: [OutboxModule, AuditModule, SecretsModule, AlertsCoreModule, CampaignViewsModule],
  providers: [
    addressPolicyProvider,
    WebhookKeysService,
    EndpointSlots,
    SlotProtocol,
    DeliveryRows,
    AttemptRecorder,
    WebhookDispatchService,
    WebhookDeliveryService,
  ],
  exports: [WebhookDispatchService, WebhookDeliveryService],
})
export class WebhookWorkerModule implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookWorkerModule.name);
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<unknown>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly handlers: JobHandlers,
    private readonly dispatch: WebhookDispatchService,
    private readonly delivery: WebhookDeliveryService,
  ) {}

  onModuleInit(): void {
    const { webhooks } = JobName;
    this.handlers.register(QueueName.Webhooks, webhooks.Deliver, (data, job) => this.delivery.run(data as DeliverJob, job));
  }

  onApplicationBootstrap(): void {
    const every = Math.min(Math.max(this.config.outbox.redeliverAfterSeconds / 2, 1), 60) * 1000;
    this.timer = setInterval(() => {
      this.sweeping ??= this.dispatch
        .recoverLostJobs()
        .catch((error: Error) => this.logger.warn(`webhook recovery sweep will retry: ${error.message}`))
        .finally(() => (this.sweeping = undefined));
    }, every);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.dispatch.settleInline();
    await this.sweeping;
  }
}
