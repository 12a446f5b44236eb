/** Every event type a webhook body's `type` can carry. */
export const WebhookEventType = {
  /** Correlation opened a new alert for the member. */
  AlertCreated: 'alert.created',
  /** An alert changed: holder count, reopened. */
  AlertUpdated: 'alert.updated',
  /** An alert closed: retraction, expiry, suppression, or below k. */
  AlertClosed: 'alert.closed',
  /** The linker found a campaign the member has bundles in (new, or the member newly in it). */
  CampaignCreated: 'campaign.created',
  /** A campaign of the member changed: bundles, members, linking tokens, counts, days. */
  CampaignUpdated: 'campaign.updated',
  /** A campaign closed for the member: split away, merged into an older one, below MATCH_MIN_MEMBERS, or its bundles left. */
  CampaignClosed: 'campaign.closed',
  /** One of the member's own keys was revoked (by the member or an admin). */
  MemberKeyRevoked: 'member.key_revoked',
  /** To admins' endpoints only, whatever their eventTypes: a member was throttled for probing. */
  ProbingThrottled: 'member.probing_throttled',
  /** Another of the member's endpoints was disabled (410 Gone, or failing too long). */
  EndpointDisabled: 'webhook.endpoint_disabled',
  /** Sent by sendTestWebhook. */
  Test: 'webhook.test',
} as const;
export type WebhookEventType = (typeof WebhookEventType)[keyof typeof WebhookEventType];

export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = Object.values(WebhookEventType);

/**
 * Operational events an endpoint receives whatever its `eventTypes` list:
 * a test is asked for explicitly, and an endpoint going dark is something
 * every other receiver of the member must hear about.
 */
export const ALWAYS_DELIVERED: ReadonlySet<WebhookEventType> = new Set([WebhookEventType.EndpointDisabled, WebhookEventType.Test]);

/** Whether an endpoint subscribed to `eventTypes` receives `type`. */
export function endpointWants(eventTypes: readonly string[], type: WebhookEventType): boolean {
  return ALWAYS_DELIVERED.has(type) || eventTypes.includes(type);
}
