import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Module, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { OutboxModule } from '@app/outbox';
import { JobHandlers, JobName, keepJobScheduler, QueueName } from '@app/queue';
import { CampaignEventsPublisher } from './campaign-events.publisher.js';
import { CampaignLinker } from './campaign-linker.service.js';

/**
 * The worker side of campaigns: the linker (consumer of `campaigns.relink`,
 * `member.state_changed`, `suppression.changed`, `quarantine.changed`,
 * `alerts.changed`, `key_epoch.retired`), the
 * live stream's publisher (of `campaigns.changed`), and the bundle-token
 * expiry sweep.
 */
@Module({
  imports: [OutboxModule],
  providers: [CampaignLinker, CampaignEventsPublisher],
  exports: [CampaignLinker],
})
export class CampaignsWorkerModule implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private stopSchedulers: (() => void)[] = [];

  constructor(
    private readonly handlers: JobHandlers,
    private readonly linker: CampaignLinker,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QueueName.Maintenance) private readonly maintenance: Queue,
  ) {}

  onModuleInit(): void {
    this.handlers.register(QueueName.Maintenance, JobName.maintenance.ExpireBundleTokens, async () => {
      await this.linker.expire();
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.stopSchedulers = [
      await keepJobScheduler(this.maintenance, JobName.maintenance.ExpireBundleTokens, this.config.indicators.expirySweepSeconds * 1_000),
    ];
  }

  onModuleDestroy(): void {
    for (const stop of this.stopSchedulers) stop();
  }
}
