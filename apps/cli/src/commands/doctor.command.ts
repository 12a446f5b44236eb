import type { Command } from 'commander';
import { migrationsDir } from '@app/common';
import { loadConfig, redactUrl, type AppConfig } from '@app/config';
import { connectPg, migrationStatus, serverVersion } from '@app/database';
import { checkRedis } from '@app/redis';

type Check = { name: string; ok: boolean; detail: string };

async function checkPostgres(config: AppConfig): Promise<Check> {
  try {
    const client = await connectPg(config.database.url, 3_000);
    try {
      const version = await serverVersion(client);
      return { name: 'postgres', ok: true, detail: `${redactUrl(config.database.url)} (PostgreSQL ${version})` };
    } finally {
      await client.end();
    }
  } catch (error) {
    return { name: 'postgres', ok: false, detail: (error as Error).message };
  }
}

async function checkRedisLine(config: AppConfig): Promise<Check> {
  try {
    await checkRedis(config.redis);
    const where = config.redis.clusterNodes
      ? `cluster ${config.redis.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}`
      : redactUrl(config.redis.url);
    return { name: 'redis', ok: true, detail: `${where} (prefix ${config.redis.prefix})` };
  } catch (error) {
    return { name: 'redis', ok: false, detail: (error as Error).message };
  }
}

async function checkMigrations(config: AppConfig, postgresOk: boolean): Promise<Check> {
  if (!postgresOk) return { name: 'migrations', ok: false, detail: 'not checked: PostgreSQL is unreachable' };
  try {
    const s = await migrationStatus(config.database.url, migrationsDir());
    const problems = [
      s.pending.length ? `${s.pending.length} pending (run \`npm run cli -- migrate\`)` : '',
      s.modified.length ? `changed after being applied: ${s.modified.join(', ')}` : '',
      s.unknown.length ? `applied but unknown to this release: ${s.unknown.join(', ')}` : '',
    ].filter(Boolean);
    return {
      name: 'migrations',
      ok: s.pending.length === 0 && s.modified.length === 0,
      detail: problems.length ? problems.join('; ') : `${s.applied.length} applied, none pending`,
    };
  } catch (error) {
    return { name: 'migrations', ok: false, detail: (error as Error).message };
  }
}

/** `doctor`: checks config, Postgres, Redis and migrations; one line each, exit 1 if any fails. */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check configuration, PostgreSQL, Redis and migrations, one line each')
    .action(async () => {
      const checks: Check[] = [];
      let config: AppConfig | undefined;
      try {
        config = loadConfig();
        checks.push({ name: 'config', ok: true, detail: `NODE_ENV=${config.env}, issuer ${config.http.publicBaseUrl}` });
      } catch (error) {
        checks.push({ name: 'config', ok: false, detail: (error as Error).message });
      }
      if (config) {
        const [postgres, redis] = await Promise.all([checkPostgres(config), checkRedisLine(config)]);
        checks.push(postgres, redis, await checkMigrations(config, postgres.ok));
      }
      for (const c of checks) console.log(`${c.name.padEnd(11)} ${c.ok ? 'ok  ' : 'FAIL'} ${c.detail}`);
      process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
    });
}
