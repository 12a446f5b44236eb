import type { JobsOptions } from 'bullmq';

/**
 * Every queue, job name and default job option in one place (later issues add
 * theirs here), so producers and processors cannot drift apart.
 */
export const QueueName = {
  /** Outbox events relayed from Postgres: correlation follow-up, alert fan-out. */
  Events: 'events',
  /** Webhook deliveries, one job per (endpoint, event). */
  Webhooks: 'webhooks',
  /** Periodic housekeeping: expiry sweeps, outbox clean-up. */
  Maintenance: 'maintenance',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const ALL_QUEUES: readonly QueueName[] = Object.values(QueueName);

/**
 * Job names per queue. On the events queue a job's name is the outbox topic
 * that produced it. The worker refuses to start unless each name here has
 * exactly one handler (JobHandlers.assertComplete).
 */
export const JobName = {
  [QueueName.Events]: {
    /** A batch was stored: correlate the tokens whose submission_id is this submission. */
    IndicatorsSubmitted: 'indicators.submitted',
    /** Records were retracted or expired: re-evaluate the listed keys. */
    IndicatorsRemoved: 'indicators.removed',
    /** The suppression list changed: re-evaluate the listed keys. */
    SuppressionChanged: 'suppression.changed',
    /** A member was suspended or reinstated: re-evaluate every key its records hold. */
    MemberStateChanged: 'member.state_changed',
    /** A member gave or changed a verdict: the other holders of that match see new counts. */
    AlertVerdictChanged: 'alert.verdict_changed',
    /** Correlation changed members' alerts: webhook deliveries and live subscriptions. */
    AlertsChanged: 'alerts.changed',
    /** A member key was revoked: `member.key_revoked` webhooks to its member. */
    MemberKeyRevoked: 'member_key.revoked',
    /** An endpoint was disabled: `webhook.endpoint_disabled` to its member's other endpoints. */
    WebhookEndpointDisabled: 'webhook_endpoint.disabled',
    /** A member was throttled for probing: `member.probing_throttled` webhooks to the admins' endpoints. */
    ProbingThrottled: 'member.probing_throttled',
    /** Bundles, members or suppressed tokens changed: the linker drains campaign_link_queue and links again what they touch. */
    CampaignsRelink: 'campaigns.relink',
    /** The linker changed campaigns: `campaign.*` webhook deliveries and campaignEvents subscriptions. */
    CampaignsChanged: 'campaigns.changed',
    /** Deliveries were created or rounds restarted by the API (test events, redelivery): queue them. */
    WebhookDeliveriesQueued: 'webhook_deliveries.queued',
  },
  [QueueName.Webhooks]: {
    /** One attempt (or a wait for one) of one delivery; the job id names the delivery and its round. */
    Deliver: 'webhook.deliver',
  },
  [QueueName.Maintenance]: {
    /** Deletes processed outbox rows past their retention. */
    OutboxCleanup: 'outbox.cleanup',
    /** Deletes expired indicators and re-evaluates what they held up. */
    ExpireIndicators: 'indicators.expire',
    /** Signs a checkpoint of the audit chain head, unless the newest one still covers it. */
    AuditCheckpoint: 'audit.checkpoint',
    /** Deletes expired bundle tokens and links again what they held together. */
    ExpireBundleTokens: 'bundle-tokens.expire',
    /** Deletes alert events past ALERT_EVENT_RETENTION_HOURS (what resumed subscriptions replay). */
    PruneAlertEvents: 'alert-events.prune',
  },
} satisfies Record<QueueName, Record<string, string>>;

/**
 * Webhook delivery jobs. A delivery's schedule lives in Postgres (the job
 * moves itself to `delayed` between attempts); these attempts and this
 * backoff only cover infrastructure errors such as a database outage.
 */
export const WEBHOOK_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3_600 },
};

/** Defaults: bounded retention so Redis does not grow without end. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3_600 },
};
