import type { JobsOptions } from 'bullmq';

/**
 * Every queue, job name and default job option in one place (later issues add
 * theirs here), so producers and processors cannot drift apart.
 */
export const QueueName = {
  /** Outbox events relayed from Postgres, one job per (event, consumer): correlation follow-up, alert fan-out. */
  Events: 'events',
  /** Webhook deliveries, one job per (endpoint, event). */
  Webhooks: 'webhooks',
  /** Periodic housekeeping: expiry sweeps, outbox clean-up. */
  Maintenance: 'maintenance',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const ALL_QUEUES: readonly QueueName[] = Object.values(QueueName);

/**
 * Job names of the webhooks and maintenance queues. The worker refuses to
 * start unless each name here has exactly one handler
 * (JobHandlers.assertComplete). The events queue's jobs are named by outbox
 * topic, one per consumer: the event map is libs/platform/outbox's `Events`.
 */
export const JobName = {
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
    /** Deletes expired template signatures after re-judging their neighbours. */
    ExpireTemplateSignatures: 'template-signatures.expire',
  },
} satisfies Record<Exclude<QueueName, typeof QueueName.Events>, Record<string, string>>;

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
