import { join } from 'node:path';
import {
  AuditSettings,
  AuthSettings,
  BootstrapSettings,
  CampaignSettings,
  CorrelationSettings,
  DatabaseSettings,
  GraphqlSettings,
  HttpSettings,
  IndicatorSettings,
  OprfSettings,
  OutboxSettings,
  ProbingSettings,
  ProcessSettings,
  RateLimitSettings,
  RedisSettings,
  ServerSettings,
  SimilaritySettings,
  SubscriptionSettings,
  WebhookSettings,
  WorkerSettings,
} from './config.schema.js';
import { readSettings } from './env.js';

/** Raised when the environment is unusable; `problems` names each bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * The sections of AppConfig, each a settings class of config.schema.ts.
 * Adding a variable to a section is one edit there: its property, with
 * `@Env` and its rule.
 */
const SECTIONS = {
  database: DatabaseSettings,
  redis: RedisSettings,
  processes: ProcessSettings,
  http: HttpSettings,
  worker: WorkerSettings,
  outbox: OutboxSettings,
  indicators: IndicatorSettings,
  correlation: CorrelationSettings,
  graphql: GraphqlSettings,
  rateLimit: RateLimitSettings,
  probing: ProbingSettings,
  audit: AuditSettings,
  oprf: OprfSettings,
  auth: AuthSettings,
  webhooks: WebhookSettings,
  subscriptions: SubscriptionSettings,
  similarity: SimilaritySettings,
  campaigns: CampaignSettings,
  bootstrap: BootstrapSettings,
};

/** The validated, typed configuration every module receives by injection. */
export type AppConfig = Omit<ServerSettings, 'finish'> & {
  [K in keyof typeof SECTIONS]: Omit<InstanceType<(typeof SECTIONS)[K]>, 'finish'>;
};

/** Injection token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** Rules that span sections. */
function crossChecks(config: AppConfig): string[] {
  const { costPerItem, points } = config.rateLimit.submission;
  const batch = costPerItem * config.indicators.maxPerSubmission;
  if (points >= batch) return [];
  return [
    `SUBMISSION_BUDGET_POINTS: must hold one full batch, at least SUBMISSION_COST_PER_ITEM × MAX_INDICATORS_PER_SUBMISSION (${batch})`,
  ];
}

/**
 * Reads and validates the environment once. Empty strings count as unset so
 * that `FOO=` in a .env file falls back to the default.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const server = readSettings(ServerSettings, source);
  const problems = [...server.problems];
  const sections = Object.fromEntries(
    Object.entries(SECTIONS).map(([key, settings]) => {
      const read = readSettings(settings as new () => object, source);
      problems.push(...read.problems);
      return [key, read.value];
    }),
  );
  const config = Object.assign(server.value, sections) as unknown as AppConfig;
  if (problems.length === 0) problems.push(...crossChecks(config));
  if (problems.length > 0) throw new ConfigError(problems);
  // What depends on more than one section.
  config.graphql.introspection = config.env !== 'production' || config.graphql.introspection;
  config.bootstrap.credentialFile = join(config.dataDir, 'bootstrap-admin.json');
  return config;
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
