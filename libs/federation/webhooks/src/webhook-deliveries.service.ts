import { Inject, Injectable, Optional } from '@nestjs/common';
import { RateLimitError, RateLimitErrorCode, RateLimitService } from '@app/rate-limit';
import type { AuthenticatedMember } from '@app/auth';
import { decodeCursor, encodeCursor, invalidCursor, isTimestampKey, pageSize, toConnection, type ConnectionShape } from '@app/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { DeliveryStatus, executeRows, Prisma, PrismaService, queryRows, WebhookEndpointStatus } from '@app/database';
import { OutboxService } from '@app/outbox';
import type { WebhookDeliveriesArgs } from './dto/webhook-deliveries.args.js';
import type { WebhookDelivery, WebhookDeliveryAttempt } from './models/webhook-delivery.model.js';
import { endpointNotFound } from './webhook-endpoints.service.js';
import { WebhookEventType } from './webhook-events.js';
import { WebhookError, WebhookErrorCode } from './webhook.error.js';
import { freshEventId, toEndpointView, webhookBody } from './webhook-views.js';
import { ATTEMPTS_SHOWN } from './webhooks.constants.js';
import { deliveriesPage, deliveriesPageAfter, deliveryById, latestAttempts, lockDelivery, restartDelivery } from './webhooks.sql.js';

const LIST = 'webhook-deliveries';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A member's view of its deliveries, and the hand-made ones: redelivery and test events. */
@Injectable()
export class WebhookDeliveriesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly outbox: OutboxService,
    @Optional() private readonly rateLimits?: RateLimitService,
  ) {}

  /** Deliveries of one of the member's endpoints, newest first, with their latest attempts. */
  async list(memberId: string, args: WebhookDeliveriesArgs): Promise<ConnectionShape<WebhookDelivery>> {
    if (!UUID.test(args.endpointId)) throw endpointNotFound();
    const first = pageSize(args.first);
    const status = args.filter?.status ?? null;
    let cursor: [created: string, id: string] | undefined;
    if (args.after) {
      const [created, id] = decodeCursor(LIST, args.after, ['string', 'string'] as const);
      if (!UUID.test(id) || !isTimestampKey(created)) throw invalidCursor();
      cursor = [created, id];
    }
    const { rows, attempts } = await this.prisma.asMember(memberId, async (tx) => {
      const owned = await tx.webhookEndpoint.count({ where: { id: args.endpointId, memberId } });
      if (!owned) throw endpointNotFound();
      const rows = cursor
        ? await queryRows(tx, deliveriesPageAfter, [args.endpointId, status, first + 1, ...cursor])
        : await queryRows(tx, deliveriesPage, [args.endpointId, status, first + 1]);
      return {
        rows,
        attempts: await this.attemptsOf(
          tx,
          rows.slice(0, first).map((r) => r.id),
        ),
      };
    });
    return toConnection(
      rows,
      first,
      (r) => encodeCursor(LIST, [r.createdKey, r.id]),
      ({ createdKey: _key, ...row }) => ({
        ...row,
        attempts: attempts.get(row.id) ?? [],
      }),
    );
  }

  /**
   * Starts a new round of attempts for a finished delivery (same body, same
   * `webhook-id`, so receivers that already have it can tell).
   */
  async redeliver(member: AuthenticatedMember, deliveryId: string): Promise<WebhookDelivery> {
    if (!UUID.test(deliveryId)) throw deliveryNotFound();
    return this.prisma.asMember(member.id, async (tx) => {
      const [row] = await queryRows(tx, lockDelivery, [deliveryId, member.id]);
      if (!row) throw deliveryNotFound();
      if (row.endpointStatus === WebhookEndpointStatus.DISABLED) throw endpointDisabled();
      if (row.status === DeliveryStatus.PENDING) {
        throw new WebhookError(WebhookErrorCode.DeliveryPending, 'This delivery is still being attempted');
      }
      await executeRows(tx, restartDelivery, [deliveryId, this.firstDelaySeconds()]);
      await this.outbox.publish(tx, 'webhook_deliveries.queued', { deliveryIds: [deliveryId] });
      return this.one(tx, deliveryId);
    });
  }

  /** Sends a `webhook.test` event to one of the member's endpoints, whatever its event types. */
  /** One of the member's WEBHOOK_TEST_PER_WINDOW test deliveries per window: test events cannot flood the workers. */
  private async chargeTest(memberId: string): Promise<void> {
    if (!this.rateLimits) return;
    const limit = this.config.webhooks.testPerWindow;
    const budget = await this.rateLimits.charge(`whtest:${memberId}`, 1, limit, this.config.rateLimit.windowSeconds * 1000);
    if (!budget.allowed) {
      throw new RateLimitError(
        RateLimitErrorCode.TestWebhooks,
        `Test webhooks: ${limit} per ${this.config.rateLimit.windowSeconds} s, none left until ${budget.resetAt.toISOString()}`,
        { limit, remaining: 0, resetAt: budget.resetAt.toISOString() },
      );
    }
  }

  async sendTest(member: AuthenticatedMember, endpointId: string): Promise<WebhookDelivery> {
    if (!UUID.test(endpointId)) throw endpointNotFound();
    await this.chargeTest(member.id);
    return this.prisma.asMember(member.id, async (tx) => {
      const endpoint = await tx.webhookEndpoint.findFirst({ where: { id: endpointId, memberId: member.id } });
      if (!endpoint) throw endpointNotFound();
      if (endpoint.status === WebhookEndpointStatus.DISABLED) throw endpointDisabled();
      const now = new Date();
      const delivery = await tx.webhookDelivery.create({
        data: {
          endpointId,
          eventId: freshEventId(),
          eventType: WebhookEventType.Test,
          body: webhookBody(WebhookEventType.Test, now, toEndpointView(endpoint, now)),
          nextAttemptAt: new Date(now.getTime() + this.config.webhooks.retryScheduleMs[0]),
        },
        select: { id: true },
      });
      await this.outbox.publish(tx, 'webhook_deliveries.queued', { deliveryIds: [delivery.id] });
      return this.one(tx, delivery.id);
    });
  }

  private firstDelaySeconds(): number {
    return this.config.webhooks.retryScheduleMs[0] / 1000;
  }

  /** One delivery, read in the member's transaction that created or restarted it. */
  private async one(tx: Prisma.TransactionClient, id: string): Promise<WebhookDelivery> {
    const [row] = await queryRows(tx, deliveryById, [id]);
    const { createdKey: _key, ...delivery } = row;
    return { ...delivery, attempts: (await this.attemptsOf(tx, [id])).get(id) ?? [] };
  }

  private async attemptsOf(tx: Prisma.TransactionClient, ids: string[]): Promise<Map<string, WebhookDeliveryAttempt[]>> {
    const map = new Map<string, WebhookDeliveryAttempt[]>();
    if (ids.length === 0) return map;
    const rows = await queryRows(tx, latestAttempts, [ids, ATTEMPTS_SHOWN]);
    for (const { deliveryId, ...attempt } of rows) {
      const list = map.get(deliveryId);
      if (list) list.push(attempt);
      else map.set(deliveryId, [attempt]);
    }
    return map;
  }
}

function deliveryNotFound(): WebhookError {
  return new WebhookError(WebhookErrorCode.DeliveryNotFound, 'webhook delivery not found');
}

function endpointDisabled(): WebhookError {
  return new WebhookError(WebhookErrorCode.EndpointDisabled, 'The endpoint is disabled; enable it with updateWebhookEndpoint first');
}
