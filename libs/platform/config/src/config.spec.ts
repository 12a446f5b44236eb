import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactUrl } from './config.js';

describe('loadConfig', () => {
  it('serves a single machine with no variables set', () => {
    const config = loadConfig({});
    expect(config.database.url).toBe('postgresql://postgres@127.0.0.1:5432/sigfed');
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'sigfed', keyPrefix: 'sigfed:', clusterNodes: undefined });
    expect(config.processes).toEqual({ api: 1, worker: 1 });
    expect(config.http.port).toBe(3000);
    expect(config.http.publicBaseUrl).toBe('http://localhost:3000');
    expect(config.env).toBe('development');
  });

  it('derives the issuer from PORT and trims a trailing slash from PUBLIC_BASE_URL', () => {
    expect(loadConfig({ PORT: '8080' }).http.publicBaseUrl).toBe('http://localhost:8080');
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://sigfed.example/' }).http.publicBaseUrl).toBe('https://sigfed.example');
  });

  it('takes a hash tag in REDIS_PREFIX for BullMQ and drops its braces from the application keys', () => {
    expect(loadConfig({ REDIS_PREFIX: '{sigfed}' }).redis).toMatchObject({ prefix: '{sigfed}', keyPrefix: 'sigfed:' });
    expect(loadConfig({ REDIS_PREFIX: 'lab-{eu}' }).redis).toMatchObject({ prefix: 'lab-{eu}', keyPrefix: 'lab-eu:' });
    for (const bad of ['{a}{b}', '{}', 'a{b', 'a}b', 'sig fed']) {
      expect(() => loadConfig({ REDIS_PREFIX: bad }), bad).toThrow(/REDIS_PREFIX must be 1-64 characters/);
    }
  });

  it('reads Redis Cluster seed nodes and requires a hash-tagged prefix with them', () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000,redis-b.internal:7001,[::1]:7002', REDIS_PREFIX: '{sigfed}' });
    expect(config.redis.clusterNodes).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: 'redis-b.internal', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000' })).toThrow(/REDIS_PREFIX: must carry a hash tag such as \{sigfed\}/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1', REDIS_PREFIX: '{s}' })).toThrow(
      /REDIS_CLUSTER_NODES must be comma-separated/,
    );
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:70000', REDIS_PREFIX: '{s}' })).toThrow(/no port in 1-65535/);
  });

  it('bounds the processes per role', () => {
    expect(loadConfig({ API_PROCESSES: '2', WORKER_PROCESSES: '3' }).processes).toEqual({ api: 2, worker: 3 });
    expect(() => loadConfig({ API_PROCESSES: '0' })).toThrow(/API_PROCESSES must not be less than 1/);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '', REDIS_PREFIX: '' }).http.port).toBe(3000);
  });

  it('parses booleans and integers', () => {
    const config = loadConfig({ DATABASE_AUTO_CREATE: 'false', MIGRATE_ON_START: 'no', DATABASE_POOL_SIZE: '4' });
    expect(config.database).toMatchObject({ autoCreate: false, migrateOnStart: false, poolSize: 4 });
  });

  it('keeps idle pooled connections five minutes unless told otherwise, and bounds the setting', () => {
    expect(loadConfig({}).database.poolIdleTimeoutMs).toBe(300_000);
    expect(loadConfig({ DATABASE_POOL_IDLE_TIMEOUT_MS: '60000' }).database.poolIdleTimeoutMs).toBe(60_000);
    expect(() => loadConfig({ DATABASE_POOL_IDLE_TIMEOUT_MS: '10' })).toThrow(/DATABASE_POOL_IDLE_TIMEOUT_MS/);
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: '70000', DATABASE_URL: 'mysql://db/x', LOG_LEVEL: 'loud', MIGRATE_ON_START: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('PORT must not be greater than 65535');
    expect(problems).toContain('DATABASE_URL must be a postgresql:// URL naming a database');
    expect(problems).toContain('LOG_LEVEL must be one of the following values');
    expect(problems).toContain('MIGRATE_ON_START must be a boolean value');
    expect((error as Error).message.split('\n')).toHaveLength(1);
  });

  it('connects the API and the worker as their own roles: derived from DATABASE_URL without its password, or as given', () => {
    const derived = loadConfig({ DATABASE_URL: 'postgresql://owner:s3cret@db.internal:5433/fed?sslmode=require' }).database;
    expect(derived.url).toBe('postgresql://owner:s3cret@db.internal:5433/fed?sslmode=require');
    expect(derived.roleUrls).toEqual({
      api: 'postgresql://sigfed_api@db.internal:5433/fed?sslmode=require',
      worker: 'postgresql://sigfed_worker@db.internal:5433/fed?sslmode=require',
    });
    const given = loadConfig({ API_DATABASE_URL: 'postgresql://sigfed_api:a@db/fed', WORKER_DATABASE_URL: 'postgres://w:b@db/fed' });
    expect(given.database.roleUrls).toEqual({ api: 'postgresql://sigfed_api:a@db/fed', worker: 'postgres://w:b@db/fed' });
    expect(() => loadConfig({ API_DATABASE_URL: 'mysql://db/x' })).toThrow(/API_DATABASE_URL must be a postgresql:\/\/ URL/);
  });

  it('refuses a submission budget that could never take one full batch', () => {
    expect(loadConfig({}).rateLimit.submission).toEqual({ costPerItem: 1, points: 20_000, windowSeconds: 10 });
    expect(() => loadConfig({ SUBMISSION_BUDGET_POINTS: '9999' })).toThrow(/SUBMISSION_BUDGET_POINTS: must hold one full batch.*\(10000\)/);
    expect(() => loadConfig({ SUBMISSION_COST_PER_ITEM: '3' })).toThrow(/\(30000\)/);
    expect(loadConfig({ SUBMISSION_COST_PER_ITEM: '0', SUBMISSION_BUDGET_POINTS: '1' }).rateLimit.submission.costPerItem).toBe(0);
  });

  it('refuses a malformed PUBLIC_BASE_URL', () => {
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'not a url' })).toThrow(/PUBLIC_BASE_URL/);
  });
});

describe('redactUrl', () => {
  it('hides passwords', () => {
    expect(redactUrl('postgresql://u:hunter2@db:5432/x')).toBe('postgresql://u:***@db:5432/x');
    expect(redactUrl('::')).toBe('<unparseable URL>');
  });
});
