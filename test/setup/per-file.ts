import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, inject } from 'vitest';
import { Redis } from 'ioredis';
import { cloneTemplate, dropDatabase } from '../support/databases.js';

/**
 * Before each test file: its own database (a copy of the migrated template)
 * its own Redis key prefix and its own DATA_DIR, published through the environment that
 * loadConfig reads. Afterwards both are removed.
 */
const { runId, templateDatabase } = inject('testRun');
const fileId = randomBytes(4).toString('hex');
const database = `sigfed_test_${runId}_${fileId}`;
const redisPrefix = `sigfed-test:${runId}:${fileId}`;
const dataDir = mkdtempSync(join(tmpdir(), `sigfed-test-${fileId}-`));

// Top-level await: the environment is set before the test file is imported.
process.env.DATABASE_URL = await cloneTemplate(templateDatabase, database);
{
  process.env.REDIS_PREFIX = redisPrefix;
  process.env.DATA_DIR = dataDir;
  process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
  process.env.NODE_ENV = 'test';
  process.env.LOG_LEVEL ??= 'silent';
  process.env.DATABASE_AUTO_CREATE = 'false';
  process.env.MIGRATE_ON_START = 'false';
  // Files run in parallel: each API's metrics listener takes any free port.
  process.env.METRICS_PORT = '0';
}

afterAll(async () => {
  await dropDatabase(database);
  rmSync(dataDir, { recursive: true, force: true });
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
});
