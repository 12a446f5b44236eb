import { availableParallelism } from 'node:os';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min } from 'class-validator';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value);
const toFloat = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value.trim()) : value;
const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return value;
};

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every environment variable Sigfed reads, with its rule. docs/operations.md
 * lists them; `loadConfig` is the only reader of process.env.
 */
export class EnvironmentVariables {
  @IsIn(NODE_ENVS)
  NODE_ENV: (typeof NODE_ENVS)[number] = 'development';

  @Matches(/^postgres(ql)?:\/\/[^/\s]+\/[A-Za-z0-9_-]+(\?.*)?$/, {
    message: 'DATABASE_URL must be a postgresql:// URL naming a database',
  })
  DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/sigfed';

  /**
   * How the API role connects: as `sigfed_api`, which does not own the tables
   * and is bound by row-level security. Unset: DATABASE_URL with the user
   * replaced by `sigfed_api` and no password (enough for trust or peer auth).
   */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/[^/\s]+\/[A-Za-z0-9_-]+(\?.*)?$/, {
    message: 'API_DATABASE_URL must be a postgresql:// URL naming a database',
  })
  API_DATABASE_URL?: string;

  /** How the worker role connects: as `sigfed_worker`. Unset: derived from DATABASE_URL like API_DATABASE_URL. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/[^/\s]+\/[A-Za-z0-9_-]+(\?.*)?$/, {
    message: 'WORKER_DATABASE_URL must be a postgresql:// URL naming a database',
  })
  WORKER_DATABASE_URL?: string;

  @Transform(toBool)
  @IsBoolean()
  DATABASE_AUTO_CREATE = true;

  @Transform(toBool)
  @IsBoolean()
  MIGRATE_ON_START = true;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  @Matches(/^rediss?:\/\/[^\s]+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @Matches(/^[A-Za-z0-9_:.-]{1,64}$/, {
    message: 'REDIS_PREFIX must be 1-64 characters of letters, digits, _ : . -',
  })
  REDIS_PREFIX = 'sigfed';

  @IsString()
  @MaxLength(255)
  HOST = '0.0.0.0';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  WORKER_PORT = 3001;

  /** The API's Prometheus listener: /metrics only, apart from the public port. */
  @IsString()
  @MaxLength(255)
  METRICS_HOST = '127.0.0.1';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  METRICS_PORT = 9464;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  WORKER_CONCURRENCY = 4;

  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(60_000)
  OUTBOX_POLL_MS = 1_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  OUTBOX_REDELIVER_AFTER_SECONDS = 600;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  PUBLIC_BASE_URL?: string;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  @IsString()
  @MaxLength(4096)
  DATA_DIR = 'var';

  @Matches(/^\d+(kb|mb)$/i, { message: 'BODY_LIMIT must look like 512kb or 4mb' })
  BODY_LIMIT = '4mb';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600_000)
  SHUTDOWN_TIMEOUT_MS = 25_000;

  /** Lifetime of the access tokens POST /oauth/token issues. */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(86_400)
  ACCESS_TOKEN_TTL_SECONDS = 900;

  /**
   * The data-encryption key (32 bytes, base64url) that encrypts the server's
   * signing keys at rest. Unset: kept in <DATA_DIR>/master.key instead.
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{43}$/, {
    message: 'SIGFED_MASTER_KEY must be 32 bytes in base64url (43 characters, no padding)',
  })
  SIGFED_MASTER_KEY?: string;

  /** Display name of the admin member that `npm start` creates on an empty database. */
  @IsString()
  @Matches(/^\S.{0,199}$/s, { message: 'BOOTSTRAP_ADMIN_NAME must be 1-200 characters, not starting with a space' })
  BOOTSTRAP_ADMIN_NAME = 'Federation operator';

  /** Failed client authentications per client id and minute before an audit entry records the burst. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  AUTH_FAILURE_BURST_THRESHOLD = 10;

  /** Most indicators one submitIndicators call may carry. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  MAX_INDICATORS_PER_SUBMISSION = 10_000;

  /** k: distinct members that must actively hold a token for it to be a match. */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(1_000)
  MATCH_MIN_MEMBERS = 2;

  /** A token held by more than this share of active members is marked common and stops alerting... */
  @Transform(toFloat)
  @IsNumber()
  @Min(0.01)
  @Max(1)
  COMMON_TOKEN_SHARE = 0.5;

  /** ...once at least this many members hold it (small federations would otherwise never alert). */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(100_000)
  COMMON_TOKEN_MIN_HOLDERS = 10;

  /** Most bundles one submitBundles or retractBundles call may carry. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  BUNDLE_MAX_PER_REQUEST = 1_000;

  /** Most indicators one bundle may carry. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000)
  BUNDLE_MAX_INDICATORS = 100;

  /** A token held by more bundles than this links nothing across members (a shared VPN exit or cloud range). */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(100_000)
  CAMPAIGN_MAX_TOKEN_BUNDLES = 50;

  /** Distinct linking tokens that must join two members' parts of a component. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  CAMPAIGN_MIN_BRIDGE_TOKENS = 1;

  /** A component past this many bundles is flagged for admins and frozen instead of grown. */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(1_000_000)
  CAMPAIGN_MAX_BUNDLES = 10_000;

  /** Default lifetime in days of indicators submitted without expiresAt, per type. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(730)
  TTL_DAYS_PAYMENT_FINGERPRINT = 180;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(730)
  TTL_DAYS_IP_RANGE = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(730)
  TTL_DAYS_PROMPT_TEMPLATE = 90;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(730)
  TTL_DAYS_ACCOUNT_SIGNAL = 90;

  /** How often the worker deletes expired indicators and closes the alerts they held up. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  EXPIRY_SWEEP_SECONDS = 60;

  /** GraphQL documents deeper than this are refused before any resolver runs. */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(50)
  GRAPHQL_MAX_DEPTH = 10;

  /** Most aliased fields per operation. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000)
  GRAPHQL_MAX_ALIASES = 30;

  /** Most operations in one document. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(50)
  GRAPHQL_MAX_OPERATIONS = 5;

  /** Highest cost of one operation (lists cost their page size times their items). */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(1_000_000)
  GRAPHQL_MAX_COST = 10_000;

  /** Longest GraphQL document (characters) from a caller with a bearer token. */
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(10_000_000)
  GRAPHQL_MAX_DOCUMENT_LENGTH = 100_000;

  /** Most lexical tokens in a GraphQL document from a caller with a bearer token. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(1_000_000)
  GRAPHQL_MAX_TOKENS = 20_000;

  /** Most fragment definitions in a document from a caller with a bearer token. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  GRAPHQL_MAX_FRAGMENTS = 100;

  /** Most directives in a document from a caller with a bearer token. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  GRAPHQL_MAX_DIRECTIVES = 200;

  /** Longest GraphQL document (characters) from a caller without a bearer token. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(10_000_000)
  GRAPHQL_ANON_MAX_DOCUMENT_LENGTH = 4_000;

  /** Most lexical tokens in a document from a caller without a bearer token. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(1_000_000)
  GRAPHQL_ANON_MAX_TOKENS = 1_000;

  /** Most fragment definitions in a document from a caller without a bearer token. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  GRAPHQL_ANON_MAX_FRAGMENTS = 10;

  /** Most directives in a document from a caller without a bearer token. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  GRAPHQL_ANON_MAX_DIRECTIVES = 20;

  /** Introspection in production; always on elsewhere. */
  @Transform(toBool)
  @IsBoolean()
  GRAPHQL_INTROSPECTION = false;

  /** A request still running after this long is answered 503 and its connection closed. */
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  REQUEST_TIMEOUT_MS = 60_000;

  /** A client that has not sent all its request headers after this long is answered 408 and cut off (at most REQUEST_TIMEOUT_MS). */
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  HEADERS_TIMEOUT_MS = 30_000;

  /** An idle keep-alive connection is closed after this long without a new request. */
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  KEEP_ALIVE_TIMEOUT_MS = 5_000;

  /** Time one webhook delivery attempt may take: connecting, sending, and reading the (capped) response. */
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(60_000)
  WEBHOOK_TIMEOUT_MS = 15_000;

  /**
   * Delays before each webhook delivery attempt, comma-separated: the first
   * attempt, then each retry. Units ms, s, m, h, d; a bare number is seconds.
   */
  @Matches(/^\s*\d+(\.\d+)?(ms|s|m|h|d)?\s*(,\s*\d+(\.\d+)?(ms|s|m|h|d)?\s*){0,24}$/i, {
    message: 'WEBHOOK_RETRY_SCHEDULE must be 1-25 comma-separated durations such as 0,5s,5m,2h',
  })
  WEBHOOK_RETRY_SCHEDULE = '0,5s,5m,30m,2h,5h,10h,10h';

  /** A webhook endpoint that has failed without a single success for this long is disabled. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(90 * 86_400)
  WEBHOOK_DISABLE_AFTER_SECONDS = 5 * 86_400;

  /** Accept plain http:// webhook URLs (test setups, private deployments); otherwise https only. */
  @Transform(toBool)
  @IsBoolean()
  WEBHOOK_ALLOW_HTTP = false;

  /** CIDRs webhook URLs may reach although private, loopback or reserved (comma-separated). */
  @Matches(/^[0-9A-Fa-f:./,\s]*$/, { message: 'WEBHOOK_ALLOWED_CIDRS must be comma-separated CIDRs such as 10.0.0.0/8,::1/128' })
  WEBHOOK_ALLOWED_CIDRS = '';

  /** After rotateWebhookSecret, how long the previous secret keeps signing beside the new one. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(30 * 86_400)
  WEBHOOK_SECRET_GRACE_SECONDS = 86_400;

  /** Webhook deliveries one worker process runs at once. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  WEBHOOK_CONCURRENCY = 32;

  /** Deliveries to one endpoint in flight at once, across every worker (a slow endpoint holds no more). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  WEBHOOK_ENDPOINT_CONCURRENCY = 10;

  /** Deliveries of one member's endpoints in flight at once, across every worker (one member cannot take them all). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  WEBHOOK_MEMBER_CONCURRENCY = 8;

  /** sendTestWebhook calls each member may make per RATE_LIMIT_WINDOW_SECONDS. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  WEBHOOK_TEST_PER_WINDOW = 30;

  /** submitIndicators calls of one member in progress at once, across every API process. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  SUBMISSION_MEMBER_CONCURRENCY = 2;

  /** Points of the member's submission budget each indicator of submitIndicators (or token of retractIndicators) costs; 0: not charged. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000)
  SUBMISSION_COST_PER_ITEM = 1;

  /** Submission-budget points each member may spend per SUBMISSION_BUDGET_WINDOW_SECONDS (at least one full batch). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  SUBMISSION_BUDGET_POINTS = 20_000;

  /** Length of the submission budget's window: short, so that the budget bounds a rate rather than allowing a long burst. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3_600)
  SUBMISSION_BUDGET_WINDOW_SECONDS = 10;

  /** How often the worker signs a checkpoint of the audit chain head (skipped while the head has not moved). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(7 * 86_400)
  AUDIT_CHECKPOINT_INTERVAL_SECONDS = 3_600;

  /** How often each graphql-ws connection re-checks its member and key in the database (catches changes made around the API). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3_600)
  SUBSCRIPTION_RECHECK_SECONDS = 30;

  /** How long alert events are kept for `alertEvents(after:)` to replay: the longest a subscriber may be away and resume. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(2_160)
  ALERT_EVENT_RETENTION_HOURS = 168;

  /** Query-cost points each member may spend per RATE_LIMIT_WINDOW_SECONDS (cost as GRAPHQL_MAX_COST counts it). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  RATE_LIMIT_POINTS = 100_000;

  /** Length of the rate-limit window. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  RATE_LIMIT_WINDOW_SECONDS = 60;

  /** Indicators a member may submit per hour unless an admin set its own quota (setSubmissionQuota). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  SUBMISSION_QUOTA_PER_HOUR = 5_000_000;

  /**
   * IP_RANGE indicators a member may submit per hour, within its overall
   * quota: ranges are the cheapest type to enumerate (a /8 is 65,536 /24s),
   * so at this default one /8 takes 66 hours (docs/operations.md).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  SUBMISSION_QUOTA_PER_HOUR_IP_RANGE = 1_000;

  /** memberActivity flags probing: at least this many indicators in the window... */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  PROBING_MIN_INDICATORS = 10_000;

  /** ...of which at least this share were new to the member. */
  @Transform(toFloat)
  @IsNumber()
  @Min(0)
  @Max(1)
  PROBING_MIN_NEW_SHARE = 0.95;

  /** The window over which the submit path counts a member's indicators to detect probing (and throttle it). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(720)
  PROBING_WINDOW_HOURS = 24;

  /** Indicators per hour a member throttled for probing may still submit, until an admin lifts the throttle. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  PROBING_THROTTLED_QUOTA_PER_HOUR = 100;
  /**
   * Worker threads of each API process that evaluate the OPRF for two-key
   * epochs (evaluateBlinded): the event loop stays free while they work.
   * Default: one fewer than the cores, at least one.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  OPRF_EVALUATION_THREADS = Math.max(1, availableParallelism() - 1);

  /** Blinded elements one evaluateBlinded call may carry (one proof covers them all). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(4_096)
  OPRF_MAX_ELEMENTS_PER_CALL = 256;

  /**
   * evaluateBlinded calls of one member in progress at once, across every
   * API process: one member's batches cannot fill the evaluation queue ahead
   * of everyone else's.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  OPRF_MEMBER_CONCURRENCY = 2;

  /** OPRF evaluations a member may have per hour, all types together (docs/two-key-tokens.md#budgets). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  OPRF_EVALUATIONS_PER_HOUR = 1_000_000;

  /**
   * IP_RANGE evaluations a member may have per hour, within the overall
   * budget: all 16,777,216 IPv4 /24 blocks take 1,678 hours (70 days) at
   * this default.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  OPRF_EVALUATIONS_PER_HOUR_IP_RANGE = 10_000;

  /** Days after a two-key epoch's notAfter during which evaluateBlinded still serves it (status RETIRING). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3_650)
  KEY_EPOCH_RETIRING_DAYS = 30;
}
