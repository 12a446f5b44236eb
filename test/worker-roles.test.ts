import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertsResolver } from '../libs/federation/alerts/src/alerts.resolver.js';
import { loadConfig } from '@app/config';
import { CorrelationService } from '@app/correlation';
import { ConsumesEvent, EventConsumers, type EventTopic } from '@app/outbox';
import { WorkerModule } from '../apps/worker/src/worker.module.js';

/** Whether a class is a GraphQL resolver (what `@Resolver()` records on it). */
const isResolver = (type: unknown) =>
  typeof type === 'function' && Reflect.getMetadataKeys(type).some((k) => String(k).startsWith('graphql:resolver'));

@Injectable()
class StrayConsumer {
  @ConsumesEvent('no.such_event' as EventTopic)
  async onNothing(): Promise<void> {}
}
@Module({ providers: [StrayConsumer] })
class StrayModule {}

describe('the worker role', () => {
  const config = loadConfig();

  describe('as it boots', () => {
    let app: INestApplication;
    beforeAll(async () => {
      const moduleRef = await Test.createTestingModule({ imports: [WorkerModule.forRoot(config)] }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      await app.init();
    });
    afterAll(async () => app?.close());

    it('registers no GraphQL resolver', () => {
      expect(isResolver(AlertsResolver)).toBe(true); // the check sees a resolver when there is one
      const types = app
        .get(DiscoveryService)
        .getProviders()
        .map((w) => w.metatype);
      expect(types.length).toBeGreaterThan(10);
      expect(types.filter(isResolver).map((t) => (t as { name: string }).name)).toEqual([]);
    });

    it('runs webhooks, the live stream and the campaign linker as separate consumers of alerts.changed', () => {
      const ids = app
        .get(EventConsumers)
        .of('alerts.changed')
        .map((c) => c.id)
        .sort();
      expect(ids).toEqual([
        'AlertEventsPublisher.onAlertsChanged',
        'CampaignLinker.onAlertsChanged',
        'WebhookDispatchService.onAlertsChanged',
      ]);
    });
  });

  it('refuses to start with a consumer of an event the map does not have', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [WorkerModule.forRoot(config), StrayModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await expect(app.init()).rejects.toThrow('consumers of events not in the event map: StrayConsumer.onNothing (no.such_event)');
    } finally {
      await app.close().catch(() => undefined);
    }
  });

  it('refuses to start while an event has no consumer', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [WorkerModule.forRoot(config)] })
      .overrideProvider(CorrelationService)
      .useValue({})
      .compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      // Each event correlation alone consumes is named; those with another consumer (similarity's, the linker's) are not.
      await expect(app.init()).rejects.toThrow('events without a consumer: indicators.submitted, indicators.removed');
    } finally {
      await app.close().catch(() => undefined);
    }
  });
});
