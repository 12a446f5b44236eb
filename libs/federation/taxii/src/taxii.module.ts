import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { AlertsModule } from '@app/alerts';
import { AlertsCollection } from './alerts-collection.js';
import { TaxiiCostMiddleware } from './taxii-cost.middleware.js';
import { TaxiiController } from './taxii.controller.js';
import { TaxiiFeedService } from './taxii-feed.service.js';

/** TAXII 2.1 (read) at /taxii2/ over the member's alerts (API role). */
@Module({
  imports: [AlertsModule],
  controllers: [TaxiiController],
  providers: [TaxiiFeedService, AlertsCollection],
})
export class TaxiiModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(TaxiiCostMiddleware).forRoutes(TaxiiController);
  }
}
