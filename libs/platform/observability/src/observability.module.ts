import { Global, Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { HealthController, MetricsController } from './health.controller.js';
import { HttpMetricsMiddleware } from './http-metrics.middleware.js';
import { MetricsListener } from './metrics.listener.js';
import { MetricsService } from './metrics.service.js';
import { ReadinessService } from './readiness.service.js';

/**
 * /healthz, /readyz, /metrics and request metrics, for any role that serves
 * HTTP. The API serves /metrics on its own listener (MetricsListener), apart
 * from its public port; the other roles on their port, which is theirs alone.
 */
@Global()
@Module({})
export class ObservabilityModule implements NestModule {
  static forRole(role: 'api' | 'worker' | 'cli'): DynamicModule {
    const separate = role === 'api';
    return {
      module: ObservabilityModule,
      controllers: separate ? [HealthController] : [HealthController, MetricsController],
      providers: [MetricsService, ReadinessService, ...(separate ? [MetricsListener] : [])],
      exports: [MetricsService, ReadinessService],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
