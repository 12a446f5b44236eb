import { join, resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { EnvironmentVariables } from './env.schema.js';
import { parseCidrList, parseDurationList } from './webhook-settings.js';

/** Raised when the environment is unusable; `problems` names each bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** The validated, typed configuration every module receives by injection. */
export interface AppConfig {
  env: 'development' | 'production' | 'test';
  database: {
    /** The owner's URL: creating the database, migrations, operator CLI commands. */
    url: string;
    /** What the API and worker roles connect with (API_DATABASE_URL, WORKER_DATABASE_URL, or derived). */
    roleUrls: { api: string; worker: string };
    autoCreate: boolean;
    migrateOnStart: boolean;
    poolSize: number;
  };
  redis: { url: string; prefix: string };
  http: {
    host: string;
    port: number;
    workerPort: number;
    /** Where the API serves /metrics (the worker serves it on workerPort). */
    metricsHost: string;
    metricsPort: number;
    bodyLimit: string;
    publicBaseUrl: string;
  };
  logLevel: string;
  dataDir: string;
  shutdownTimeoutMs: number;
  worker: { concurrency: number };
  outbox: { pollMs: number; redeliverAfterSeconds: number };
  indicators: {
    maxPerSubmission: number;
    ttlDays: Record<'PAYMENT_FINGERPRINT' | 'IP_RANGE' | 'PROMPT_TEMPLATE' | 'ACCOUNT_SIGNAL', number>;
    expirySweepSeconds: number;
  };
  correlation: { minMembers: number; commonShare: number; commonMinHolders: number };
  campaigns: {
    maxBundlesPerRequest: number;
    maxIndicatorsPerBundle: number;
    maxTokenBundles: number;
    minBridgeTokens: number;
    maxBundles: number;
  };
  graphql: {
    maxDepth: number;
    maxAliases: number;
    maxOperations: number;
    maxCost: number;
    introspection: boolean;
    /** Caps on a document's text before it is parsed, with and without a bearer token. */
    document: {
      authenticated: { maxLength: number; maxTokens: number; maxFragments: number; maxDirectives: number };
      anonymous: { maxLength: number; maxTokens: number; maxFragments: number; maxDirectives: number };
    };
  };
  requestTimeoutMs: number;
  /** Node's headersTimeout (never above requestTimeoutMs) and keepAliveTimeout for the API's server. */
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  rateLimit: {
    points: number;
    windowSeconds: number;
    submissionQuotaPerHour: number;
    /** Hourly quotas of single indicator types, within submissionQuotaPerHour. */
    submissionQuotaPerHourByType: Partial<Record<'IP_RANGE' | 'PAYMENT_FINGERPRINT' | 'PROMPT_TEMPLATE' | 'ACCOUNT_SIGNAL', number>>;
    submissionMemberConcurrency: number;
    /** The submission budget: points per item, per window (kept apart from the query-cost budget). */
    submission: { costPerItem: number; points: number; windowSeconds: number };
  };
  probing: { minIndicators: number; minNewShare: number; windowHours: number; throttledQuotaPerHour: number };
  audit: { checkpointIntervalSeconds: number };
  oprf: {
    threads: number;
    maxElementsPerCall: number;
    memberConcurrency: number;
    evaluationsPerHour: number;
    /** Hourly evaluation budgets of single indicator types, within evaluationsPerHour. */
    evaluationsPerHourByType: Partial<Record<'IP_RANGE' | 'PAYMENT_FINGERPRINT' | 'PROMPT_TEMPLATE' | 'ACCOUNT_SIGNAL', number>>;
    retiringDays: number;
  };
  auth: {
    accessTokenTtlSeconds: number;
    /** SIGFED_MASTER_KEY as given (base64url); undefined means <dataDir>/master.key. */
    masterKey?: string;
    failureBurstThreshold: number;
  };
  webhooks: {
    timeoutMs: number;
    /** Delay before each attempt: [first, first retry, ...]; its length is the number of attempts. */
    retryScheduleMs: number[];
    disableAfterSeconds: number;
    allowHttp: boolean;
    /** Normalized CIDRs that private, loopback or reserved destinations may still be in. */
    allowedCidrs: string[];
    secretGraceSeconds: number;
    concurrency: number;
    endpointConcurrency: number;
    memberConcurrency: number;
    testPerWindow: number;
  };
  subscriptions: { recheckSeconds: number; eventRetentionHours: number };
  bootstrap: {
    /** Name of the admin member created on first start. */
    adminName: string;
    /** Where first start writes that admin's credential: <dataDir>/bootstrap-admin.json. */
    credentialFile: string;
  };
}

/** Injection token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');

// Optional variables have no default, so no own key on a fresh instance: name them here.
const KNOWN = new Set(
  Object.keys(new EnvironmentVariables()).concat('PUBLIC_BASE_URL', 'SIGFED_MASTER_KEY', 'API_DATABASE_URL', 'WORKER_DATABASE_URL'),
);

/** The Postgres roles the API and worker roles connect as (created by the row-level security migration). */
export const DATABASE_ROLE_NAMES = { api: 'sigfed_api', worker: 'sigfed_worker' } as const;

/** `url` with its user replaced by `user` and no password: a role's URL on a server with trust or peer auth. */
export function urlForUser(url: string, user: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = '';
  return parsed.toString();
}

function describe(error: ValidationError): string[] {
  const rules = Object.values(error.constraints ?? {});
  return rules.map((rule) => (rule.startsWith(error.property) ? rule : `${error.property}: ${rule}`));
}

/**
 * Reads and validates the environment once. Empty strings count as unset so
 * that `FOO=` in a .env file falls back to the default.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string> = {};
  for (const key of KNOWN) {
    const value = source[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const vars = plainToInstance(EnvironmentVariables, raw, { exposeDefaultValues: true });
  const problems = validateSync(vars, { forbidUnknownValues: true }).flatMap(describe);
  const retrySchedule = parseDurationList(vars.WEBHOOK_RETRY_SCHEDULE ?? '');
  const allowed = parseCidrList(vars.WEBHOOK_ALLOWED_CIDRS ?? '');
  if ('bad' in allowed) problems.push(`WEBHOOK_ALLOWED_CIDRS: "${allowed.bad}" is not an IP address or CIDR`);
  if (vars.SUBMISSION_BUDGET_POINTS < vars.SUBMISSION_COST_PER_ITEM * vars.MAX_INDICATORS_PER_SUBMISSION) {
    problems.push(
      `SUBMISSION_BUDGET_POINTS: must hold one full batch, at least SUBMISSION_COST_PER_ITEM × MAX_INDICATORS_PER_SUBMISSION ` +
        `(${vars.SUBMISSION_COST_PER_ITEM * vars.MAX_INDICATORS_PER_SUBMISSION})`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const publicBaseUrl = (vars.PUBLIC_BASE_URL ?? `http://localhost:${vars.PORT}`).replace(/\/+$/, '');
  return {
    env: vars.NODE_ENV,
    database: {
      url: vars.DATABASE_URL,
      roleUrls: {
        api: vars.API_DATABASE_URL ?? urlForUser(vars.DATABASE_URL, DATABASE_ROLE_NAMES.api),
        worker: vars.WORKER_DATABASE_URL ?? urlForUser(vars.DATABASE_URL, DATABASE_ROLE_NAMES.worker),
      },
      autoCreate: vars.DATABASE_AUTO_CREATE,
      migrateOnStart: vars.MIGRATE_ON_START,
      poolSize: vars.DATABASE_POOL_SIZE,
    },
    redis: { url: vars.REDIS_URL, prefix: vars.REDIS_PREFIX },
    http: {
      host: vars.HOST,
      port: vars.PORT,
      workerPort: vars.WORKER_PORT,
      metricsHost: vars.METRICS_HOST,
      metricsPort: vars.METRICS_PORT,
      bodyLimit: vars.BODY_LIMIT,
      publicBaseUrl,
    },
    logLevel: vars.LOG_LEVEL,
    dataDir: resolve(vars.DATA_DIR),
    shutdownTimeoutMs: vars.SHUTDOWN_TIMEOUT_MS,
    worker: { concurrency: vars.WORKER_CONCURRENCY },
    outbox: { pollMs: vars.OUTBOX_POLL_MS, redeliverAfterSeconds: vars.OUTBOX_REDELIVER_AFTER_SECONDS },
    indicators: {
      maxPerSubmission: vars.MAX_INDICATORS_PER_SUBMISSION,
      ttlDays: {
        PAYMENT_FINGERPRINT: vars.TTL_DAYS_PAYMENT_FINGERPRINT,
        IP_RANGE: vars.TTL_DAYS_IP_RANGE,
        PROMPT_TEMPLATE: vars.TTL_DAYS_PROMPT_TEMPLATE,
        ACCOUNT_SIGNAL: vars.TTL_DAYS_ACCOUNT_SIGNAL,
      },
      expirySweepSeconds: vars.EXPIRY_SWEEP_SECONDS,
    },
    graphql: {
      maxDepth: vars.GRAPHQL_MAX_DEPTH,
      maxAliases: vars.GRAPHQL_MAX_ALIASES,
      maxOperations: vars.GRAPHQL_MAX_OPERATIONS,
      maxCost: vars.GRAPHQL_MAX_COST,
      introspection: vars.NODE_ENV !== 'production' || vars.GRAPHQL_INTROSPECTION,
      document: {
        authenticated: {
          maxLength: vars.GRAPHQL_MAX_DOCUMENT_LENGTH,
          maxTokens: vars.GRAPHQL_MAX_TOKENS,
          maxFragments: vars.GRAPHQL_MAX_FRAGMENTS,
          maxDirectives: vars.GRAPHQL_MAX_DIRECTIVES,
        },
        anonymous: {
          maxLength: vars.GRAPHQL_ANON_MAX_DOCUMENT_LENGTH,
          maxTokens: vars.GRAPHQL_ANON_MAX_TOKENS,
          maxFragments: vars.GRAPHQL_ANON_MAX_FRAGMENTS,
          maxDirectives: vars.GRAPHQL_ANON_MAX_DIRECTIVES,
        },
      },
    },
    requestTimeoutMs: vars.REQUEST_TIMEOUT_MS,
    headersTimeoutMs: Math.min(vars.HEADERS_TIMEOUT_MS, vars.REQUEST_TIMEOUT_MS),
    keepAliveTimeoutMs: vars.KEEP_ALIVE_TIMEOUT_MS,
    rateLimit: {
      points: vars.RATE_LIMIT_POINTS,
      windowSeconds: vars.RATE_LIMIT_WINDOW_SECONDS,
      submissionQuotaPerHour: vars.SUBMISSION_QUOTA_PER_HOUR,
      submissionQuotaPerHourByType: { IP_RANGE: vars.SUBMISSION_QUOTA_PER_HOUR_IP_RANGE },
      submissionMemberConcurrency: vars.SUBMISSION_MEMBER_CONCURRENCY,
      submission: {
        costPerItem: vars.SUBMISSION_COST_PER_ITEM,
        points: vars.SUBMISSION_BUDGET_POINTS,
        windowSeconds: vars.SUBMISSION_BUDGET_WINDOW_SECONDS,
      },
    },
    probing: {
      minIndicators: vars.PROBING_MIN_INDICATORS,
      minNewShare: vars.PROBING_MIN_NEW_SHARE,
      windowHours: vars.PROBING_WINDOW_HOURS,
      throttledQuotaPerHour: vars.PROBING_THROTTLED_QUOTA_PER_HOUR,
    },
    audit: { checkpointIntervalSeconds: vars.AUDIT_CHECKPOINT_INTERVAL_SECONDS },
    oprf: {
      threads: vars.OPRF_EVALUATION_THREADS,
      maxElementsPerCall: vars.OPRF_MAX_ELEMENTS_PER_CALL,
      memberConcurrency: vars.OPRF_MEMBER_CONCURRENCY,
      evaluationsPerHour: vars.OPRF_EVALUATIONS_PER_HOUR,
      evaluationsPerHourByType: { IP_RANGE: vars.OPRF_EVALUATIONS_PER_HOUR_IP_RANGE },
      retiringDays: vars.KEY_EPOCH_RETIRING_DAYS,
    },
    correlation: {
      minMembers: vars.MATCH_MIN_MEMBERS,
      commonShare: vars.COMMON_TOKEN_SHARE,
      commonMinHolders: vars.COMMON_TOKEN_MIN_HOLDERS,
    },
    campaigns: {
      maxBundlesPerRequest: vars.BUNDLE_MAX_PER_REQUEST,
      maxIndicatorsPerBundle: vars.BUNDLE_MAX_INDICATORS,
      maxTokenBundles: vars.CAMPAIGN_MAX_TOKEN_BUNDLES,
      minBridgeTokens: vars.CAMPAIGN_MIN_BRIDGE_TOKENS,
      maxBundles: vars.CAMPAIGN_MAX_BUNDLES,
    },
    auth: {
      accessTokenTtlSeconds: vars.ACCESS_TOKEN_TTL_SECONDS,
      masterKey: vars.SIGFED_MASTER_KEY,
      failureBurstThreshold: vars.AUTH_FAILURE_BURST_THRESHOLD,
    },
    webhooks: {
      timeoutMs: vars.WEBHOOK_TIMEOUT_MS,
      retryScheduleMs: retrySchedule ?? [0],
      disableAfterSeconds: vars.WEBHOOK_DISABLE_AFTER_SECONDS,
      allowHttp: vars.WEBHOOK_ALLOW_HTTP,
      allowedCidrs: 'cidrs' in allowed ? allowed.cidrs : [],
      secretGraceSeconds: vars.WEBHOOK_SECRET_GRACE_SECONDS,
      concurrency: vars.WEBHOOK_CONCURRENCY,
      endpointConcurrency: vars.WEBHOOK_ENDPOINT_CONCURRENCY,
      memberConcurrency: vars.WEBHOOK_MEMBER_CONCURRENCY,
      testPerWindow: vars.WEBHOOK_TEST_PER_WINDOW,
    },
    subscriptions: { recheckSeconds: vars.SUBSCRIPTION_RECHECK_SECONDS, eventRetentionHours: vars.ALERT_EVENT_RETENTION_HOURS },
    bootstrap: {
      adminName: vars.BOOTSTRAP_ADMIN_NAME,
      credentialFile: join(resolve(vars.DATA_DIR), 'bootstrap-admin.json'),
    },
  };
}

/** A URL with its password replaced, safe to print and log. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable URL>';
  }
}
