import { Webhook, WebhookVerificationError } from 'standardwebhooks';

export { WebhookVerificationError } from 'standardwebhooks';

/** An event delivered to a member's webhook receiver. */
export interface WebhookEvent<T = unknown> {
  /** Event type, e.g. `alert.created`. */
  readonly type: string;
  /** When the event happened (ISO 8601). */
  readonly timestamp: string;
  readonly data: T;
}

/** Request headers as Node's `req.headers` or a fetch `Headers` object gives them. */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Verifies a Standard Webhooks delivery (webhook-id, webhook-timestamp within 5 minutes,
 * webhook-signature over the exact body) and returns the event; throws
 * WebhookVerificationError otherwise. Pass the raw body text, not re-serialized JSON.
 */
export function verifyWebhook<T = unknown>(payload: string | Buffer, headers: WebhookHeaders, secret: string): WebhookEvent<T> {
  const event = new Webhook(secret).verify(payload, flatten(headers)) as unknown;
  if (
    typeof event !== 'object' ||
    event === null ||
    typeof (event as WebhookEvent).type !== 'string' ||
    typeof (event as WebhookEvent).timestamp !== 'string' ||
    !('data' in event)
  ) {
    // Correctly signed but not an event: a receiver must not act on it either.
    throw new WebhookVerificationError('the payload is not a Sigfed event ({ type, timestamp, data })');
  }
  return event as WebhookEvent<T>;
}

function flatten(headers: WebhookHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  if (typeof (headers as Headers).forEach === 'function' && typeof (headers as Headers).get === 'function') {
    (headers as Headers).forEach((value, name) => (flat[name] = value));
    return flat;
  }
  for (const [name, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    // A repeated header arrives as an array; signatures are space-separated by the standard.
    if (value !== undefined) flat[name.toLowerCase()] = typeof value === 'string' ? value : value.join(' ');
  }
  return flat;
}
