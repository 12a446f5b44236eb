import { createHash, randomBytes } from 'node:crypto';
import type { WebhookEndpoint as EndpointRow } from '@app/database';
import type { WebhookEndpoint } from './models/webhook-endpoint.model.js';
import type { WebhookEventType } from './webhook-events.js';

/** An endpoint as its member sees it: never its secrets. */
export function toEndpointView(row: EndpointRow, now = new Date()): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes,
    status: row.status,
    asymmetricSignature: row.asymmetricSignature,
    failingSince: row.failingSince,
    disabledAt: row.disabledAt,
    disabledReason: row.disabledReason,
    previousSecretExpiresAt: row.previousSecretExpiresAt && row.previousSecretExpiresAt > now ? row.previousSecretExpiresAt : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/**
 * The body of every delivery: `{ type, timestamp, data }`, serialized once
 * and stored, so every attempt sends (and signs) the same bytes. `data` is
 * what the member would see in GraphQL, dates as ISO strings.
 */
export function webhookBody(type: WebhookEventType, occurredAt: Date, data: object): string {
  return JSON.stringify({ type, timestamp: occurredAt.toISOString(), data });
}

/**
 * The `webhook-id` of an event that can be announced more than once (the
 * outbox delivers at least once): derived from what identifies the event,
 * so a replay maps onto the delivery that already exists.
 */
export function stableEventId(key: string): string {
  return `msg_${createHash('sha256').update(key, 'utf8').digest('base64url').slice(0, 27)}`;
}

/** The `webhook-id` of an event that happens once by construction (a test). */
export function freshEventId(): string {
  return `msg_${randomBytes(20).toString('base64url').slice(0, 27)}`;
}
