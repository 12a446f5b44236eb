import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AlertsService, toHour } from '@app/alerts';
import { CampaignsService, type Campaign } from '@app/campaigns';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { MemberRole, MemberStatus, pgRows, PrismaService, queryRows, WebhookEndpointStatus } from '@app/database';
import { ConsumesEvent, type AlertEvent, type EventPayloads } from '@app/outbox';
import { JobName, QueueName, WEBHOOK_JOB_OPTIONS } from '@app/queue';
import { InlineAttempts } from './delivery/inline-attempts.js';
import { WebhookDeliveryService, type DeliverJob } from './webhook-delivery.service.js';
import { endpointWants, WebhookEventType } from './webhook-events.js';
import { stableEventId, toEndpointView, webhookBody } from './webhook-views.js';
import { RECOVERY_BATCH } from './webhooks.constants.js';
import {
  bindDeliveries,
  overdueDeliveries,
  pendingDeliveries,
  targetEndpoints,
  type DueDelivery,
  type QueuedDelivery,
  type TargetEndpoint,
} from './webhooks.sql.js';

/** A delivery to create: one event for one endpoint. */
interface NewDelivery {
  endpointId: string;
  eventId: string;
  eventType: WebhookEventType;
  body: string;
}

/** An alert change with the member's endpoints that take it. */
interface Wanted {
  event: AlertEvent;
  targets: TargetEndpoint[];
}

/** Members whose alerts are read and bound at once while fanning out (each read is a short transaction on the pool). */
const RENDER_CONCURRENCY = 4;
/**
 * A member's alerts whose deliveries are bound and queued together: a first
 * slice that holds a typical batch's share, so that its webhooks leave after
 * one read and one bind, then larger ones, so that a big fan-out costs few
 * round trips.
 */
const FIRST_SLICE = 16;
const MAX_SLICE = 128;

/** `fn` over `items`, at most `limit` at a time; results in the order of `items`. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        results[i] = await fn(items[i]);
      } catch (error) {
        failed = true; // the other lanes stop after their current item
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** The job id of one round of one delivery: deterministic, so enqueueing twice queues once. */
export function deliveryJobId(id: string, round: number): string {
  return `delivery-${id}-${round}`;
}

/**
 * Turns events into deliveries (worker role): one row per (endpoint, event),
 * unique on the pair, so an outbox event handled twice binds nothing twice,
 * then one queue job per row. Rows are the truth; jobs are how they run.
 * A sweep puts back the jobs of due deliveries that Redis lost.
 */
@Injectable()
export class WebhookDispatchService {
  private readonly logger = new Logger(WebhookDispatchService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly alerts: AlertsService,
    private readonly campaigns: CampaignsService,
    private readonly delivery: WebhookDeliveryService,
    @InjectQueue(QueueName.Webhooks) private readonly queue: Queue,
  ) {
    const { concurrency, endpointConcurrency, memberConcurrency } = config.webhooks;
    this.inline = new InlineAttempts({ total: concurrency, perEndpoint: endpointConcurrency, perMember: memberConcurrency }, (row) =>
      this.runInline(row),
    );
  }

  /** Alert deliveries whose first attempt runs in this process (runInline), until each ends or is queued. */
  private readonly inline: InlineAttempts<DueDelivery>;

  /**
   * Alert changes: a delivery per subscribed endpoint of each alert's member
   * (the live stream is a consumer of its own, AlertEventsPublisher). Each
   * member's alerts are read and bound on their own, a few members at once,
   * in slices: a member's first deliveries leave after one read and one bind,
   * waiting neither for the other members' reads nor for the rest of a big
   * batch.
   */
  @ConsumesEvent('alerts.changed')
  async onAlertsChanged(payload: EventPayloads['alerts.changed']): Promise<void> {
    // Another member's submission or retraction made the change: its time is told to the hour only.
    const occurredAt = toHour(payload.occurredAt ? new Date(payload.occurredAt) : new Date());
    const memberIds = [...new Set(payload.events.map((e) => e.memberId))];
    // Plain pg (prepared): one of these runs for every alert change, beside correlation's own statements.
    const endpoints = await pgRows(this.prisma, targetEndpoints, [memberIds]);
    const byMember = new Map<string, Wanted[]>();
    for (const event of payload.events) {
      const targets = endpoints.filter((e) => e.memberId === event.memberId && endpointWants(e.eventTypes, event.type));
      if (targets.length === 0) continue;
      const list = byMember.get(event.memberId);
      if (list) list.push({ event, targets });
      else byMember.set(event.memberId, [{ event, targets }]);
    }
    await mapLimit([...byMember], RENDER_CONCURRENCY, ([memberId, wanted]) => this.fanOutTo(memberId, wanted, occurredAt));
  }

  /** Waits for the first attempts running inline (worker shutdown). */
  async settleInline(): Promise<void> {
    await this.inline.settle();
  }

  /** One member's alert deliveries: its alerts as it sees them, read, bound and started slice by slice. */
  private async fanOutTo(memberId: string, wanted: readonly Wanted[], occurredAt: Date): Promise<void> {
    for (let i = 0, size = FIRST_SLICE; i < wanted.length; i += size, size = Math.min(size * 2, MAX_SLICE)) {
      const slice = wanted.slice(i, i + size);
      const alerts = new Map(
        (
          await this.alerts.getMany(
            memberId,
            slice.map((w) => w.event.alertId),
          )
        ).map((a) => [a.id, a]),
      );
      const rows: NewDelivery[] = [];
      for (const { event, targets } of slice) {
        const alert = alerts.get(event.alertId);
        if (!alert) continue; // gone with its member
        const eventId = stableEventId(`${event.type}:${event.alertId}:${event.version}`);
        const body = webhookBody(event.type, occurredAt, alert);
        for (const target of targets) rows.push({ endpointId: target.id, eventId, eventType: event.type, body });
      }
      await this.bind(rows, true);
    }
  }

  /**
   * Campaign changes: a delivery per subscribed endpoint of each event's
   * member, with the campaign as that member sees it (a member no longer in
   * it gets `{ id, status: CLOSED, version }`). The live stream is a
   * consumer of its own (CampaignEventsPublisher).
   */
  @ConsumesEvent('campaigns.changed')
  async onCampaignsChanged(payload: EventPayloads['campaigns.changed']): Promise<void> {
    const occurredAt = toHour(new Date(payload.occurredAt));
    const memberIds = [...new Set(payload.events.map((e) => e.memberId))];
    const endpoints = await this.prisma.webhookEndpoint.findMany({
      where: { memberId: { in: memberIds }, status: WebhookEndpointStatus.ENABLED, member: { status: MemberStatus.ACTIVE } },
      select: { id: true, memberId: true, eventTypes: true },
    });
    const byMember = new Map<string, typeof payload.events>();
    for (const event of payload.events) {
      if (!endpoints.some((e) => e.memberId === event.memberId && endpointWants(e.eventTypes, event.type))) continue;
      const list = byMember.get(event.memberId) ?? [];
      list.push(event);
      byMember.set(event.memberId, list);
    }
    const rows: NewDelivery[] = [];
    await mapLimit([...byMember], RENDER_CONCURRENCY, async ([memberId, events]) => {
      const seen = new Map<string, Campaign>(
        (await this.campaigns.getMany(memberId, [...new Set(events.map((e) => e.campaignId))])).map((c) => [c.id, c]),
      );
      for (const event of events) {
        const data = seen.get(event.campaignId) ?? { id: event.campaignId, status: 'CLOSED', version: event.version };
        const eventId = stableEventId(`${event.type}:${event.campaignId}:${memberId}:${event.version}`);
        const body = webhookBody(event.type, occurredAt, data);
        for (const target of endpoints) {
          if (target.memberId === memberId && endpointWants(target.eventTypes, event.type)) {
            rows.push({ endpointId: target.id, eventId, eventType: event.type, body });
          }
        }
      }
    });
    await this.bind(rows);
  }

  /** A revoked member key: `member.key_revoked` to the member's subscribed endpoints. */
  @ConsumesEvent('member_key.revoked')
  async onMemberKeyRevoked(payload: EventPayloads['member_key.revoked']): Promise<void> {
    const key = await this.prisma.memberKey.findUnique({ where: { kid: payload.kid } });
    if (!key || !key.revokedAt) return;
    const endpoints = await this.prisma.webhookEndpoint.findMany({
      where: {
        memberId: key.memberId,
        status: WebhookEndpointStatus.ENABLED,
        eventTypes: { has: WebhookEventType.MemberKeyRevoked },
        member: { status: MemberStatus.ACTIVE },
      },
      select: { id: true },
    });
    const data = {
      kid: key.kid,
      alg: key.alg,
      status: key.status,
      publicJwk: key.publicJwk,
      createdAt: key.createdAt,
      revokedAt: key.revokedAt,
      lastUsedAt: key.lastUsedAt,
    };
    const eventId = stableEventId(`${WebhookEventType.MemberKeyRevoked}:${key.kid}`);
    const body = webhookBody(WebhookEventType.MemberKeyRevoked, key.revokedAt, data);
    await this.bind(endpoints.map((e) => ({ endpointId: e.id, eventId, eventType: WebhookEventType.MemberKeyRevoked, body })));
  }

  /** A disabled endpoint: `webhook.endpoint_disabled` to every other enabled endpoint of its member. */
  @ConsumesEvent('webhook_endpoint.disabled')
  async onEndpointDisabled(payload: EventPayloads['webhook_endpoint.disabled']): Promise<void> {
    const endpoint = await this.prisma.webhookEndpoint.findUnique({ where: { id: payload.endpointId } });
    if (!endpoint || endpoint.status !== WebhookEndpointStatus.DISABLED || !endpoint.disabledAt) return;
    const others = await this.prisma.webhookEndpoint.findMany({
      where: {
        memberId: endpoint.memberId,
        status: WebhookEndpointStatus.ENABLED,
        id: { not: endpoint.id },
        member: { status: MemberStatus.ACTIVE },
      },
      select: { id: true },
    });
    const type = WebhookEventType.EndpointDisabled;
    const eventId = stableEventId(`${type}:${endpoint.id}:${endpoint.disabledAt.toISOString()}`);
    const body = webhookBody(type, endpoint.disabledAt, toEndpointView(endpoint));
    await this.bind(others.map((e) => ({ endpointId: e.id, eventId, eventType: type, body })));
  }

  /**
   * A member throttled for probing: `member.probing_throttled` to every
   * enabled endpoint of every active admin, whatever its eventTypes (a
   * notice for the operators, like an endpoint going dark for a member).
   */
  @ConsumesEvent('member.probing_throttled')
  async onProbingThrottled(payload: EventPayloads['member.probing_throttled']): Promise<void> {
    const endpoints = await this.prisma.webhookEndpoint.findMany({
      where: { status: WebhookEndpointStatus.ENABLED, member: { role: MemberRole.ADMIN, status: MemberStatus.ACTIVE } },
      select: { id: true },
    });
    const type = WebhookEventType.ProbingThrottled;
    const eventId = stableEventId(`${type}:${payload.memberId}:${payload.since}`);
    const body = webhookBody(type, new Date(payload.since), payload);
    await this.bind(endpoints.map((e) => ({ endpointId: e.id, eventId, eventType: type, body })));
  }

  /** Deliveries the API created or restarted (tests, redeliveries): queue them. */
  @ConsumesEvent('webhook_deliveries.queued')
  async onDeliveriesQueued(payload: EventPayloads['webhook_deliveries.queued']): Promise<void> {
    const rows = await queryRows(this.prisma, pendingDeliveries, [payload.deliveryIds]);
    await this.enqueue(rows);
  }

  /**
   * Re-queues PENDING deliveries overdue by more than the outbox's own
   * redelivery window whose job is gone (Redis restarted) or failed (an
   * outage outlasted its infrastructure retries). Returns how many.
   */
  async recoverLostJobs(): Promise<number> {
    const rows = await queryRows(this.prisma, overdueDeliveries, [this.config.outbox.redeliverAfterSeconds, RECOVERY_BATCH]);
    let recovered = 0;
    for (const row of rows) {
      const job = await this.queue.getJob(deliveryJobId(row.id, row.round));
      if (!job) {
        await this.enqueue([row]);
        recovered++;
      } else if (await job.isFailed()) {
        await job.retry('failed');
        recovered++;
      } else if (await job.isCompleted()) {
        // Finished without finishing the row (cannot happen by design; cheap to mend if it ever does).
        await job.remove();
        await this.enqueue([row]);
        recovered++;
      }
    }
    if (recovered) this.logger.warn(`re-queued ${recovered} webhook deliveries whose jobs were lost or had failed`);
    return recovered;
  }

  /**
   * Creates the deliveries that do not exist yet and queues every one still
   * PENDING; with `inline`, those due now start their first attempt in this
   * process instead (at most WEBHOOK_CONCURRENCY at once, and no more to an
   * endpoint or a member than their slots allow: InlineAttempts), which
   * spares an alert's webhook the queue's pick-up.
   */
  private async bind(rows: NewDelivery[], inline = false): Promise<void> {
    if (rows.length === 0) return;
    const firstDelay = this.config.webhooks.retryScheduleMs[0] / 1000;
    const columns = {
      endpoints: rows.map((r) => r.endpointId),
      events: rows.map((r) => r.eventId),
      types: rows.map((r) => r.eventType),
      bodies: rows.map((r) => r.body),
    };
    // One round trip: the rows this call creates, and (a statement does not see its own inserts) those that an
    // earlier, interrupted run created but may not have queued, still PENDING.
    const queued = await pgRows(this.prisma, bindDeliveries, [
      columns.endpoints,
      columns.events,
      columns.types,
      columns.bodies,
      firstDelay,
    ]);
    if (!inline) return this.enqueue(queued);
    const now = Date.now();
    const later: QueuedDelivery[] = [];
    for (const row of queued) {
      const due = (row.nextAttemptAt?.getTime() ?? now) <= now;
      if (!due || !this.inline.offer(row)) later.push(row);
    }
    await this.enqueue(later);
  }

  /** Runs one delivery's first attempt here; its job is queued when the attempt says so, or when it throws. Never rejects. */
  private async runInline(row: DueDelivery): Promise<void> {
    await this.delivery
      .runInline(row)
      .catch((error: Error) => {
        this.logger.warn(`inline attempt of webhook delivery ${row.id} failed (${error.message}); queued for retry`);
        return { queueAt: Date.now() };
      })
      .then((next) =>
        next
          ? this.enqueue([{ id: row.id, endpointId: row.endpointId, round: row.round, nextAttemptAt: new Date(next.queueAt) }])
          : undefined,
      )
      .catch((error: Error) => this.logger.warn(`cannot queue webhook delivery ${row.id} (${error.message}); the recovery sweep will`));
  }

  private async enqueue(rows: QueuedDelivery[]): Promise<void> {
    if (rows.length === 0) return;
    const now = Date.now();
    await this.queue.addBulk(
      rows.map((row) => ({
        name: JobName.webhooks.Deliver,
        data: { deliveryId: row.id, round: row.round, endpointId: row.endpointId } satisfies DeliverJob,
        opts: {
          ...WEBHOOK_JOB_OPTIONS,
          jobId: deliveryJobId(row.id, row.round),
          delay: Math.max(0, (row.nextAttemptAt?.getTime() ?? now) - now),
        },
      })),
    );
  }
}
