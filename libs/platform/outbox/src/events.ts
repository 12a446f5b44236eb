import type { IndicatorType } from '@app/database';

/** What matching is keyed on: a token within its type and key epoch. Tokens travel as hex. */
export interface TokenKey {
  type: IndicatorType;
  keyEpoch: string;
  token: string;
}

/** Webhook and subscription event types about alerts. */
export type AlertEventType = 'alert.created' | 'alert.updated' | 'alert.closed';

/** One change to one member's alert, as correlation produced it. */
export interface AlertEvent {
  alertId: string;
  memberId: string;
  type: AlertEventType;
  version: number;
  /** The event's number among its member's events (alert_events.seq), as a decimal string. */
  seq?: string;
}

/** Payload of `alerts.changed`. */
export interface AlertsChangedPayload {
  events: AlertEvent[];
  occurredAt?: string;
}

/** Payload of `member.probing_throttled`, and the webhook's `data`. */
export interface ProbingThrottledPayload {
  memberId: string;
  clientId: string;
  name: string;
  since: string;
  reason: string;
  windowHours: number;
  windowIndicators: number;
  windowNewIndicators: number;
  throttledQuotaPerHour: number;
}

/** A token as campaign events carry it. */
export interface CampaignTokenKey {
  type: string;
  keyEpoch: string;
  token: string;
}

/**
 * Payload of `campaigns.relink`: wakes the linker, which drains
 * campaign_link_queue. `memberId` re-links that member's bundles (its
 * suspension or reinstatement); `keys` re-links what those tokens join (the
 * suppression list or quarantine changed).
 */
export interface CampaignsRelinkPayload {
  memberId?: string;
  keys?: CampaignTokenKey[];
}

/** What a member is told about a campaign. */
export type CampaignEventType = 'campaign.created' | 'campaign.updated' | 'campaign.closed';

/** One change of one campaign as one member sees it: ids only, never content. */
export interface CampaignEvent {
  campaignId: string;
  memberId: string;
  type: CampaignEventType;
  version: number;
}

/** Payload of `campaigns.changed` (written by the linker): webhooks and the campaignEvents subscription. */
export interface CampaignsChangedPayload {
  events: CampaignEvent[];
  occurredAt: string;
}

/** Declares an event's payload type; the value only carries the type. */
const payload = <P extends object>(): EventDef<P> => ({}) as EventDef<P>;

/** An entry of the event map: a phantom of the payload type. */
export interface EventDef<P extends object> {
  readonly __payload?: P;
}

/**
 * Every outbox event, topic to payload type, in one place. Publishing is
 * checked against it, consumers declare a topic from it (`@ConsumesEvent`),
 * and the worker refuses to start while a topic here has no consumer or a
 * consumer names a topic that is not here. Adding an event is one line here
 * and one `@ConsumesEvent` on the method that handles it (docs/architecture.md).
 */
export const Events = {
  /** A batch was stored: correlate the tokens whose submission_id is this submission. */
  'indicators.submitted': payload<{ submissionId: string }>(),
  /** Records were retracted or expired: re-evaluate the listed keys. */
  'indicators.removed': payload<{ keys: TokenKey[] }>(),
  /** The suppression list changed: re-evaluate the listed keys. */
  'suppression.changed': payload<{ keys: TokenKey[] }>(),
  /** An admin released a quarantined token (releaseQuarantine): re-evaluate the listed keys. */
  'quarantine.changed': payload<{ keys: TokenKey[] }>(),
  /** An operator retired a key epoch (retire-key-epoch): re-evaluate every match under it. */
  'key_epoch.retired': payload<{ label: string }>(),
  /** Template signatures were stored: judge the submission's signatures and their neighbours (libs/federation/similarity). */
  'template_signatures.submitted': payload<{ submissionId: string }>(),
  /** Template signatures were retracted: re-judge their neighbours, then delete them. */
  'template_signatures.removed': payload<{ signatureIds: string[] }>(),
  /** A member was suspended or reinstated: re-evaluate every key its records hold. */
  'member.state_changed': payload<{ memberId: string }>(),
  /** A member gave or changed a verdict: the other holders of that match see new counts. */
  'alert.verdict_changed': payload<{ alertId: string }>(),
  /** Correlation changed members' alerts: webhook deliveries, live subscriptions. */
  'alerts.changed': payload<AlertsChangedPayload>(),
  /** A member key was revoked: `member.key_revoked` webhooks to its member. */
  'member_key.revoked': payload<{ memberId: string; kid: string }>(),
  /** An endpoint was disabled: `webhook.endpoint_disabled` to its member's other endpoints. */
  'webhook_endpoint.disabled': payload<{ endpointId: string }>(),
  /** A member was throttled for probing: `member.probing_throttled` webhooks to the admins' endpoints. */
  'member.probing_throttled': payload<ProbingThrottledPayload>(),
  /** Bundles changed (submitBundles, retractBundles): the linker drains campaign_link_queue and links again what they touch. */
  'campaigns.relink': payload<CampaignsRelinkPayload>(),
  /** The linker changed campaigns: `campaign.*` webhook deliveries and campaignEvents subscriptions. */
  'campaigns.changed': payload<CampaignsChangedPayload>(),
  /** Deliveries were created or rounds restarted by the API (test events, redelivery): queue them. */
  'webhook_deliveries.queued': payload<{ deliveryIds: string[] }>(),
} as const;

/** Every topic of the event map. */
export type EventTopic = keyof typeof Events;

/** Topic to payload type. */
export type EventPayloads = { [T in EventTopic]: NonNullable<(typeof Events)[T]['__payload']> };

/** The topics, for start-up checks. */
export const EVENT_TOPICS = Object.keys(Events) as EventTopic[];
