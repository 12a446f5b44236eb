import { describe, expect, it } from 'vitest';
import { freePort, migrationsDir } from '@app/common';
import { readMigrations } from '@app/database';
import { childEnv, distEntry, runNode } from './support/processes.js';

const CLI = distEntry('apps/cli/src/main.js');

describe('npm run cli -- doctor', () => {
  it('reports every dependency as ok when all is well', async () => {
    const result = await runNode(CLI, ['doctor'], childEnv());
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['config ok', 'postgres ok', 'redis ok', 'migrations ok']);
    expect(lines[3]).toMatch(new RegExp(`${readMigrations(migrationsDir()).length} applied, none pending`));
  });

  it('names Redis as the problem when Redis does not answer', async () => {
    const port = await freePort();
    const result = await runNode(CLI, ['doctor'], childEnv({ REDIS_URL: `redis://127.0.0.1:${port}` }));
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines.filter((l) => l.includes('FAIL'))).toEqual([
      expect.stringMatching(new RegExp(`^redis\\s+FAIL cannot reach Redis at redis://127.0.0.1:${port}`)),
    ]);
  });

  it('names Postgres and skips the migration check when Postgres does not answer', async () => {
    const port = await freePort();
    const result = await runNode(CLI, ['doctor'], childEnv({ DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/x` }));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^postgres\s+FAIL cannot reach PostgreSQL/m);
    expect(result.stdout).toMatch(/^migrations\s+FAIL not checked: PostgreSQL is unreachable/m);
    expect(result.stdout).toMatch(/^redis\s+ok/m);
  });

  it('names a bad variable and checks nothing else', async () => {
    const result = await runNode(CLI, ['doctor'], childEnv({ DATABASE_URL: 'mysql://x/y' }));
    expect(result.code).toBe(1);
    expect(result.stdout.trim()).toBe('config      FAIL invalid configuration: DATABASE_URL must be a postgresql:// URL naming a database');
  });

  it('migrate --status lists applied migrations', async () => {
    const result = await runNode(CLI, ['migrate', '--status'], childEnv());
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('applied   20261126000000_init');
  });
});
