import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { DATABASE_ROLE_NAMES, Env, Nested, toBool, toFloat, toInt, urlForUser } from './env.js';
import { parseCidrList, parseDurationList } from './webhook-settings.js';

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type IndicatorTypeName = 'PAYMENT_FINGERPRINT' | 'IP_RANGE' | 'PROMPT_TEMPLATE' | 'ACCOUNT_SIGNAL';

/**
 * Every environment variable Sigfed reads, declared once: its name (`@Env`),
 * its rule, its default and its place in AppConfig (the property and the
 * class it sits in). docs/operations.md lists them; `loadConfig` is the only
 * reader of process.env.
 */

/** What the process itself runs with: the top level of AppConfig. */
export class ServerSettings {
  @Env('NODE_ENV')
  @IsIn(NODE_ENVS)
  env: (typeof NODE_ENVS)[number] = 'development';

  @Env('LOG_LEVEL')
  @IsIn(LOG_LEVELS)
  logLevel: (typeof LOG_LEVELS)[number] = 'info';

  @Env('DATA_DIR')
  @IsString()
  @MaxLength(4096)
  dataDir = 'var';

  @Env('SHUTDOWN_TIMEOUT_MS')
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600_000)
  shutdownTimeoutMs = 25_000;

  /** A request still running after this long is answered 503 and its connection closed. */
  @Env('REQUEST_TIMEOUT_MS')
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  requestTimeoutMs = 60_000;

  /** A client that has not sent all its request headers after this long is answered 408 and cut off (at most REQUEST_TIMEOUT_MS). */
  @Env('HEADERS_TIMEOUT_MS')
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  headersTimeoutMs = 30_000;

  /** An idle keep-alive connection is closed after this long without a new request. */
  @Env('KEEP_ALIVE_TIMEOUT_MS')
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  keepAliveTimeoutMs = 5_000;

  finish(): void {
    this.dataDir = resolve(this.dataDir);
    // Node's headersTimeout is never above requestTimeoutMs.
    this.headersTimeoutMs = Math.min(this.headersTimeoutMs, this.requestTimeoutMs);
  }
}

/** PostgreSQL: the owner's URL (creating the database, migrations, operator CLI commands) and the roles' URLs. */
export class DatabaseSettings {
  @Env('DATABASE_URL')
  @Matches(/^postgres(ql)?:\/\/[^/\s]+\/[A-Za-z0-9_-]+(\?.*)?$/, {
    message: 'DATABASE_URL must be a postgresql:// URL naming a database',
  })
  url = 'postgresql://postgres@127.0.0.1:5432/sigfed';

  /**
   * How the API role connects: as `sigfed_api`, which does not own the tables
   * and is bound by row-level security. Unset: DATABASE_URL with the user
   * replaced by `sigfed_api` and no password (enough for trust or peer auth).
   */
  @Env('API_DATABASE_URL')
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/[^/\s]+\/[A-Za-z0-9_-]+(\?.*)?$/, {
    message: 'API_DATABASE_URL must be a postgresql:// URL naming a database',
  })
  apiUrl?: string;

  /** How the worker role connects: as `sigfed_worker`. Unset: derived from DATABASE_URL like API_DATABASE_URL. */
  @Env('WORKER_DATABASE_URL')
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/[^/\s]+\/[A-Za-z0-9_-]+(\?.*)?$/, {
    message: 'WORKER_DATABASE_URL must be a postgresql:// URL naming a database',
  })
  workerUrl?: string;

  @Env('DATABASE_AUTO_CREATE')
  @Transform(toBool)
  @IsBoolean()
  autoCreate = true;

  @Env('MIGRATE_ON_START')
  @Transform(toBool)
  @IsBoolean()
  migrateOnStart = true;

  @Env('DATABASE_POOL_SIZE')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  poolSize = 10;

  /**
   * A pooled connection idle this long is closed. Longer than the pauses
   * between bursts, so a burst does not start on new backends (cold catalog
   * caches, prepared statements planned afresh); shutdown closes them all.
   */
  @Env('DATABASE_POOL_IDLE_TIMEOUT_MS')
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(86_400_000)
  poolIdleTimeoutMs = 300_000;

  /** What the API and worker roles connect with (API_DATABASE_URL, WORKER_DATABASE_URL, or derived). */
  roleUrls = { api: '', worker: '' };

  finish(): void {
    this.roleUrls = {
      api: this.apiUrl ?? urlForUser(this.url, DATABASE_ROLE_NAMES.api),
      worker: this.workerUrl ?? urlForUser(this.url, DATABASE_ROLE_NAMES.worker),
    };
  }
}

/** Redis: queues, budgets, caches and the live stream's fan-out. */
export class RedisSettings {
  @Env('REDIS_URL')
  @Matches(/^rediss?:\/\/[^\s]+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  url = 'redis://127.0.0.1:6379';

  /**
   * May carry one hash tag, `{...}`: BullMQ's keys then all hash to that tag's
   * slot (what BullMQ needs on a Redis Cluster); the application's own keys
   * use the prefix without the braces and hash by their own tags.
   */
  @Env('REDIS_PREFIX')
  @Matches(/^(?=.{1,64}$)[A-Za-z0-9_:.-]*(\{[A-Za-z0-9_:.-]+\})?[A-Za-z0-9_:.-]*$/, {
    message: 'REDIS_PREFIX must be 1-64 characters of letters, digits, _ : . - with at most one hash tag {...}',
  })
  prefix = 'sigfed';

  /**
   * Seed nodes of a Redis Cluster (comma-separated host:port). Set: every
   * connection is a cluster client, with credentials and TLS from REDIS_URL.
   */
  @Env('REDIS_CLUSTER_NODES')
  @IsOptional()
  @Matches(/^(?:(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5})(?:,(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5})*$/, {
    message: 'REDIS_CLUSTER_NODES must be comma-separated host:port seed nodes',
  })
  clusterNodeList?: string;

  /** The prefix of the application's own keys: REDIS_PREFIX without braces, and a colon. */
  keyPrefix = '';

  /** Seed nodes of a Redis Cluster, or undefined for a single Redis. */
  clusterNodes: { host: string; port: number }[] | undefined;

  finish(): string[] {
    this.keyPrefix = `${this.prefix.replace(/[{}]/g, '')}:`;
    const problems: string[] = [];
    const nodes = parseClusterNodes(this.clusterNodeList ?? '', problems);
    this.clusterNodes = nodes.length > 0 ? nodes : undefined;
    if (nodes.length > 0 && !/\{[^}]+\}/.test(this.prefix)) {
      problems.push(
        `REDIS_PREFIX: must carry a hash tag such as {${this.prefix}} when REDIS_CLUSTER_NODES is set (BullMQ keeps a queue's keys in one slot)`,
      );
    }
    return problems;
  }
}

/** `host:port,host:port` (IPv6 hosts in brackets); pushes a problem for each bad port. */
function parseClusterNodes(text: string, problems: string[]): { host: string; port: number }[] {
  if (text === '') return [];
  return text.split(',').map((item) => {
    const at = item.lastIndexOf(':');
    const host = item.slice(0, at).replace(/^\[(.*)\]$/, '$1');
    const port = Number(item.slice(at + 1));
    if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`REDIS_CLUSTER_NODES: "${item}" has no port in 1-65535`);
    return { host, port };
  });
}

/** How many processes of each role `serve` runs. */
export class ProcessSettings {
  /** API processes `serve` runs, sharing PORT (node:cluster); process i serves metrics on METRICS_PORT + i. */
  @Env('API_PROCESSES')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  api = 1;

  /** Worker processes `serve` runs; process i answers health checks and metrics on WORKER_PORT + i. */
  @Env('WORKER_PROCESSES')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  worker = 1;
}

/** The listeners, and the public address clients use. */
export class HttpSettings {
  @Env('HOST')
  @IsString()
  @MaxLength(255)
  host = '0.0.0.0';

  @Env('PORT')
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  port = 3000;

  @Env('WORKER_PORT')
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  workerPort = 3001;

  /** The API's Prometheus listener: /metrics only, apart from the public port. */
  @Env('METRICS_HOST')
  @IsString()
  @MaxLength(255)
  metricsHost = '127.0.0.1';

  @Env('METRICS_PORT')
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  metricsPort = 9464;

  @Env('BODY_LIMIT')
  @Matches(/^\d+(kb|mb)$/i, { message: 'BODY_LIMIT must look like 512kb or 4mb' })
  bodyLimit = '4mb';

  @Env('PUBLIC_BASE_URL')
  @ValidateIf((settings: HttpSettings) => settings.publicBaseUrl !== '')
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  publicBaseUrl: string = '';

  finish(): void {
    this.publicBaseUrl = (this.publicBaseUrl || `http://localhost:${this.port}`).replace(/\/+$/, '');
  }
}

/** The worker role. */
export class WorkerSettings {
  @Env('WORKER_CONCURRENCY')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  concurrency = 4;
}

/** The outbox relay. */
export class OutboxSettings {
  @Env('OUTBOX_POLL_MS')
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(60_000)
  pollMs = 1_000;

  @Env('OUTBOX_REDELIVER_AFTER_SECONDS')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  redeliverAfterSeconds = 600;
}

/** Days a record lives unless its submission says otherwise, per indicator type. */
export class TtlDays {
  /** Default lifetime in days of indicators submitted without expiresAt, per type. */
  @Env('TTL_DAYS_PAYMENT_FINGERPRINT')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(730)
  PAYMENT_FINGERPRINT = 180;

  @Env('TTL_DAYS_IP_RANGE')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(730)
  IP_RANGE = 30;

  @Env('TTL_DAYS_PROMPT_TEMPLATE')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(730)
  PROMPT_TEMPLATE = 90;

  @Env('TTL_DAYS_ACCOUNT_SIGNAL')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(730)
  ACCOUNT_SIGNAL = 90;
}

/** Submissions and the lifetime of records. */
export class IndicatorSettings {
  /** Most indicators one submitIndicators call may carry. */
  @Env('MAX_INDICATORS_PER_SUBMISSION')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  maxPerSubmission = 10_000;

  @Nested(() => TtlDays)
  ttlDays!: TtlDays;

  /** How often the worker deletes expired indicators and closes the alerts they held up. */
  @Env('EXPIRY_SWEEP_SECONDS')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  expirySweepSeconds = 60;
}

/** When holders make a match, and when a token is too common to alert on. */
export class CorrelationSettings {
  /** k: distinct members that must actively hold a token for it to be a match. */
  @Env('MATCH_MIN_MEMBERS')
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(1_000)
  minMembers = 2;

  /** A token held by more than this share of active members is marked common and stops alerting... */
  @Env('COMMON_TOKEN_SHARE')
  @Transform(toFloat)
  @IsNumber()
  @Min(0.01)
  @Max(1)
  commonShare = 0.5;

  /** ...once at least this many members hold it (small federations would otherwise never alert). */
  @Env('COMMON_TOKEN_MIN_HOLDERS')
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(100_000)
  commonMinHolders = 10;

  /** Distinct active members whose FALSE_POSITIVE verdicts (outnumbering confirmations) quarantine a token. */
  @Env('QUARANTINE_MIN_FALSE_POSITIVES')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000)
  quarantineMinFalsePositives = 2;
}

/** Caps on a document's text before it is parsed, with a bearer token. */
export class AuthenticatedDocumentCaps {
  /** Longest GraphQL document (characters) from a caller with a bearer token. */
  @Env('GRAPHQL_MAX_DOCUMENT_LENGTH')
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(10_000_000)
  maxLength = 100_000;

  /** Most lexical tokens in a GraphQL document from a caller with a bearer token. */
  @Env('GRAPHQL_MAX_TOKENS')
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(1_000_000)
  maxTokens = 20_000;

  /** Most fragment definitions in a document from a caller with a bearer token. */
  @Env('GRAPHQL_MAX_FRAGMENTS')
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  maxFragments = 100;

  /** Most directives in a document from a caller with a bearer token. */
  @Env('GRAPHQL_MAX_DIRECTIVES')
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  maxDirectives = 200;
}

/** Caps on a document's text before it is parsed, without a bearer token. */
export class AnonymousDocumentCaps {
  /** Longest GraphQL document (characters) from a caller without a bearer token. */
  @Env('GRAPHQL_ANON_MAX_DOCUMENT_LENGTH')
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(10_000_000)
  maxLength = 4_000;

  /** Most lexical tokens in a document from a caller without a bearer token. */
  @Env('GRAPHQL_ANON_MAX_TOKENS')
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(1_000_000)
  maxTokens = 1_000;

  /** Most fragment definitions in a document from a caller without a bearer token. */
  @Env('GRAPHQL_ANON_MAX_FRAGMENTS')
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  maxFragments = 10;

  /** Most directives in a document from a caller without a bearer token. */
  @Env('GRAPHQL_ANON_MAX_DIRECTIVES')
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  maxDirectives = 20;
}

/** Caps on a document's text before it is parsed, with and without a bearer token. */
export class DocumentCaps {
  @Nested(() => AuthenticatedDocumentCaps)
  authenticated!: AuthenticatedDocumentCaps;

  @Nested(() => AnonymousDocumentCaps)
  anonymous!: AnonymousDocumentCaps;
}

/** Limits on GraphQL operations. */
export class GraphqlSettings {
  /** GraphQL documents deeper than this are refused before any resolver runs. */
  @Env('GRAPHQL_MAX_DEPTH')
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(50)
  maxDepth = 10;

  /** Most aliased fields per operation. */
  @Env('GRAPHQL_MAX_ALIASES')
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000)
  maxAliases = 30;

  /** Most operations in one document. */
  @Env('GRAPHQL_MAX_OPERATIONS')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(50)
  maxOperations = 5;

  /** Highest cost of one operation (lists cost their page size times their items). */
  @Env('GRAPHQL_MAX_COST')
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(1_000_000)
  maxCost = 10_000;

  /** Introspection in production; always on elsewhere. */
  @Env('GRAPHQL_INTROSPECTION')
  @Transform(toBool)
  @IsBoolean()
  introspection = false;

  @Nested(() => DocumentCaps)
  document!: DocumentCaps;
}

/** Hourly quotas of single indicator types, within SUBMISSION_QUOTA_PER_HOUR. */
export class SubmissionQuotasByType {
  /**
   * IP_RANGE indicators a member may submit per hour, within its overall
   * quota: ranges are the cheapest type to enumerate (a /8 is 65,536 /24s),
   * so at this default one /8 takes 66 hours (docs/operations.md).
   */
  @Env('SUBMISSION_QUOTA_PER_HOUR_IP_RANGE')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  IP_RANGE = 1_000;
}

/** The submission budget: points per item, per window (kept apart from the query-cost budget). */
export class SubmissionBudget {
  /** Points of the member's submission budget each indicator of submitIndicators (or token of retractIndicators) costs; 0: not charged. */
  @Env('SUBMISSION_COST_PER_ITEM')
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000)
  costPerItem = 1;

  /** Submission-budget points each member may spend per SUBMISSION_BUDGET_WINDOW_SECONDS (at least one full batch). */
  @Env('SUBMISSION_BUDGET_POINTS')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  points = 20_000;

  /** Length of the submission budget's window: short, so that the budget bounds a rate rather than allowing a long burst. */
  @Env('SUBMISSION_BUDGET_WINDOW_SECONDS')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3_600)
  windowSeconds = 10;
}

/** Per-member budgets and quotas. */
export class RateLimitSettings {
  /** Query-cost points each member may spend per RATE_LIMIT_WINDOW_SECONDS (cost as GRAPHQL_MAX_COST counts it). */
  @Env('RATE_LIMIT_POINTS')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  points = 100_000;

  /** Length of the rate-limit window. */
  @Env('RATE_LIMIT_WINDOW_SECONDS')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  windowSeconds = 60;

  /** Indicators a member may submit per hour unless an admin set its own quota (setSubmissionQuota). */
  @Env('SUBMISSION_QUOTA_PER_HOUR')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  submissionQuotaPerHour = 5_000_000;

  @Nested(() => SubmissionQuotasByType)
  submissionQuotaPerHourByType!: Partial<Record<IndicatorTypeName, number>>;

  /** submitIndicators calls of one member in progress at once, across every API process. */
  @Env('SUBMISSION_MEMBER_CONCURRENCY')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  submissionMemberConcurrency = 2;

  @Nested(() => SubmissionBudget)
  submission!: SubmissionBudget;
}

/** When a member looks like it probes the federation, and how it is throttled. */
export class ProbingSettings {
  /** memberActivity flags probing: at least this many indicators in the window... */
  @Env('PROBING_MIN_INDICATORS')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  minIndicators = 10_000;

  /** ...of which at least this share were new to the member. */
  @Env('PROBING_MIN_NEW_SHARE')
  @Transform(toFloat)
  @IsNumber()
  @Min(0)
  @Max(1)
  minNewShare = 0.95;

  /** The window over which the submit path counts a member's indicators to detect probing (and throttle it). */
  @Env('PROBING_WINDOW_HOURS')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(720)
  windowHours = 24;

  /** Indicators per hour a member throttled for probing may still submit, until an admin lifts the throttle. */
  @Env('PROBING_THROTTLED_QUOTA_PER_HOUR')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  throttledQuotaPerHour = 100;
}

/** The audit chain. */
export class AuditSettings {
  /** How often the worker signs a checkpoint of the audit chain head (skipped while the head has not moved). */
  @Env('AUDIT_CHECKPOINT_INTERVAL_SECONDS')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(7 * 86_400)
  checkpointIntervalSeconds = 3_600;
}

/** Hourly evaluation budgets of single indicator types, within OPRF_EVALUATIONS_PER_HOUR. */
export class EvaluationsByType {
  /**
   * IP_RANGE evaluations a member may have per hour, within the overall
   * budget: all 16,777,216 IPv4 /24 blocks take 1,678 hours (70 days) at
   * this default.
   */
  @Env('OPRF_EVALUATIONS_PER_HOUR_IP_RANGE')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  IP_RANGE = 10_000;
}

/** Two-key epochs: the OPRF evaluations and their budgets. */
export class OprfSettings {
  /**
   * Worker threads of each API process that evaluate the OPRF for two-key
   * epochs (evaluateBlinded): the event loop stays free while they work.
   * Default: one fewer than the cores, at least one.
   */
  @Env('OPRF_EVALUATION_THREADS')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  threads = Math.max(1, availableParallelism() - 1);

  /** Blinded elements one evaluateBlinded call may carry (one proof covers them all). */
  @Env('OPRF_MAX_ELEMENTS_PER_CALL')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(4_096)
  maxElementsPerCall = 256;

  /**
   * evaluateBlinded calls of one member in progress at once, across every
   * API process: one member's batches cannot fill the evaluation queue ahead
   * of everyone else's.
   */
  @Env('OPRF_MEMBER_CONCURRENCY')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  memberConcurrency = 2;

  /** OPRF evaluations a member may have per hour, all types together (docs/two-key-tokens.md#budgets). */
  @Env('OPRF_EVALUATIONS_PER_HOUR')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  evaluationsPerHour = 1_000_000;

  @Nested(() => EvaluationsByType)
  evaluationsPerHourByType!: Partial<Record<IndicatorTypeName, number>>;

  /** Days after a two-key epoch's notAfter during which evaluateBlinded still serves it (status RETIRING). */
  @Env('KEY_EPOCH_RETIRING_DAYS')
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3_650)
  retiringDays = 30;
}

/** Access tokens and the data key. */
export class AuthSettings {
  /** Lifetime of the access tokens POST /oauth/token issues. */
  @Env('ACCESS_TOKEN_TTL_SECONDS')
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(86_400)
  accessTokenTtlSeconds = 900;

  /**
   * The data-encryption key (32 bytes, base64url) that encrypts the server's
   * signing keys at rest. Unset: kept in <DATA_DIR>/master.key instead.
   */
  @Env('SIGFED_MASTER_KEY')
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{43}$/, {
    message: 'SIGFED_MASTER_KEY must be 32 bytes in base64url (43 characters, no padding)',
  })
  masterKey?: string;

  /** Failed client authentications per client id and minute before an audit entry records the burst. */
  @Env('AUTH_FAILURE_BURST_THRESHOLD')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  failureBurstThreshold = 10;
}

/** Webhook delivery. */
export class WebhookSettings {
  /** Time one webhook delivery attempt may take: connecting, sending, and reading the (capped) response. */
  @Env('WEBHOOK_TIMEOUT_MS')
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(60_000)
  timeoutMs = 15_000;

  /**
   * Delays before each webhook delivery attempt, comma-separated: the first
   * attempt, then each retry. Units ms, s, m, h, d; a bare number is seconds.
   */
  @Env('WEBHOOK_RETRY_SCHEDULE')
  @Matches(/^\s*\d+(\.\d+)?(ms|s|m|h|d)?\s*(,\s*\d+(\.\d+)?(ms|s|m|h|d)?\s*){0,24}$/i, {
    message: 'WEBHOOK_RETRY_SCHEDULE must be 1-25 comma-separated durations such as 0,5s,5m,2h',
  })
  retrySchedule = '0,5s,5m,30m,2h,5h,10h,10h';

  /** A webhook endpoint that has failed without a single success for this long is disabled. */
  @Env('WEBHOOK_DISABLE_AFTER_SECONDS')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(90 * 86_400)
  disableAfterSeconds = 5 * 86_400;

  /** Accept plain http:// webhook URLs (test setups, private deployments); otherwise https only. */
  @Env('WEBHOOK_ALLOW_HTTP')
  @Transform(toBool)
  @IsBoolean()
  allowHttp = false;

  /** CIDRs webhook URLs may reach although private, loopback or reserved (comma-separated). */
  @Env('WEBHOOK_ALLOWED_CIDRS')
  @Matches(/^[0-9A-Fa-f:./,\s]*$/, { message: 'WEBHOOK_ALLOWED_CIDRS must be comma-separated CIDRs such as 10.0.0.0/8,::1/128' })
  allowedCidrList = '';

  /** After rotateWebhookSecret, how long the previous secret keeps signing beside the new one. */
  @Env('WEBHOOK_SECRET_GRACE_SECONDS')
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(30 * 86_400)
  secretGraceSeconds = 86_400;

  /** Webhook deliveries one worker process runs at once. */
  @Env('WEBHOOK_CONCURRENCY')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  concurrency = 32;

  /** Deliveries to one endpoint in flight at once, across every worker (a slow endpoint holds no more). */
  @Env('WEBHOOK_ENDPOINT_CONCURRENCY')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  endpointConcurrency = 10;

  /** Deliveries of one member's endpoints in flight at once, across every worker (one member cannot take them all). */
  @Env('WEBHOOK_MEMBER_CONCURRENCY')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  memberConcurrency = 8;

  /** sendTestWebhook calls each member may make per RATE_LIMIT_WINDOW_SECONDS. */
  @Env('WEBHOOK_TEST_PER_WINDOW')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  testPerWindow = 30;

  /** Delay before each attempt: [first, first retry, ...]; its length is the number of attempts. */
  retryScheduleMs: number[] = [0];

  /** Normalized CIDRs that private, loopback or reserved destinations may still be in. */
  allowedCidrs: string[] = [];

  finish(): string[] {
    this.retryScheduleMs = parseDurationList(this.retrySchedule) ?? [0];
    const allowed = parseCidrList(this.allowedCidrList);
    if ('bad' in allowed) return [`WEBHOOK_ALLOWED_CIDRS: "${allowed.bad}" is not an IP address or CIDR`];
    this.allowedCidrs = allowed.cidrs;
    return [];
  }
}

/** The live stream. */
export class SubscriptionSettings {
  /** How often each graphql-ws connection re-checks its member and key in the database (catches changes made around the API). */
  @Env('SUBSCRIPTION_RECHECK_SECONDS')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3_600)
  recheckSeconds = 30;

  /** How long alert events are kept for `alertEvents(after:)` to replay: the longest a subscriber may be away and resume. */
  @Env('ALERT_EVENT_RETENTION_HOURS')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(2_160)
  eventRetentionHours = 168;
}

/** Similar template signatures (libs/federation/similarity). */
export class SimilaritySettings {
  /** Two signatures of different members sharing at least this many of their 32 band tokens are similar. */
  @Env('SIMILARITY_MIN_SHARED_BANDS')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(32)
  minSharedBands = 4;

  /** A band token held by more than this many live signatures is boilerplate and ignored by similarity. */
  @Env('SIMILARITY_MAX_BAND_HOLDERS')
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(10_000)
  maxBandHolders = 64;

  /** Most signatures one submitTemplateSignatures call may carry (each is 32 band tokens). */
  @Env('MAX_TEMPLATE_SIGNATURES_PER_SUBMISSION')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  maxPerSubmission = 500;
}

/** Campaigns: bundles and how they link (libs/federation/campaigns, docs/campaigns.md). */
export class CampaignSettings {
  /** Most bundles one submitBundles or retractBundles call may carry. */
  @Env('BUNDLE_MAX_PER_REQUEST')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  maxBundlesPerRequest = 1_000;

  /** Most indicators one bundle may carry. */
  @Env('BUNDLE_MAX_INDICATORS')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000)
  maxIndicatorsPerBundle = 100;

  /** A token held by more bundles than this links nothing across members (a shared VPN exit or cloud range). */
  @Env('CAMPAIGN_MAX_TOKEN_BUNDLES')
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(100_000)
  maxTokenBundles = 50;

  /** Distinct linking tokens that must join two members' parts of a component. */
  @Env('CAMPAIGN_MIN_BRIDGE_TOKENS')
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  minBridgeTokens = 1;

  /** A component past this many bundles is flagged for admins and frozen instead of grown. */
  @Env('CAMPAIGN_MAX_BUNDLES')
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(1_000_000)
  maxBundles = 10_000;
}

/** The first admin, made on first start. */
export class BootstrapSettings {
  /** Display name of the admin member that `npm start` creates on an empty database. */
  @Env('BOOTSTRAP_ADMIN_NAME')
  @IsString()
  @Matches(/^\S.{0,199}$/s, { message: 'BOOTSTRAP_ADMIN_NAME must be 1-200 characters, not starting with a space' })
  adminName = 'Federation operator';

  /** Where first start writes that admin's credential: <DATA_DIR>/bootstrap-admin.json (set by loadConfig). */
  credentialFile = '';
}
