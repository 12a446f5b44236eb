import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@app/config';
import { CoreModule } from '@app/runtime';

/**
 * The BullMQ role: queue processors only. It serves /healthz, /readyz and
 * /metrics on WORKER_PORT for probes and Prometheus, nothing else.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [CoreModule.forRoot(config, 'worker')],
    };
  }
}
