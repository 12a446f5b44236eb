import { migrationsDir } from '@app/common';
import { StartupError } from '@app/common';
import type { AppConfig } from '@app/config';
import { redactUrl } from '@app/config';
import { ensureDatabase, migrate, migrationStatus } from '@app/database';
import { checkRedis } from '@app/queue';

/**
 * Everything that must hold before a role starts: the database exists (created
 * when allowed), Redis answers, and the schema is migrated (or, with
 * MIGRATE_ON_START=false, already is). Throws a StartupError or a
 * MigrationError with a one-line reason.
 */
export async function prepareDependencies(
  config: AppConfig,
  log: (line: string) => void,
): Promise<void> {
  const created = await ensureDatabase(config.database.url, config.database.autoCreate);
  if (created) log(`created database at ${redactUrl(config.database.url)}`);
  await checkRedis(config.redis.url);
  const dir = migrationsDir();
  if (config.database.migrateOnStart) {
    await migrate(config.database.url, dir, log);
    return;
  }
  const { pending } = await migrationStatus(config.database.url, dir);
  if (pending.length > 0) {
    throw new StartupError(
      `${pending.length} migration(s) pending (${pending.join(', ')}); run \`npm run cli -- migrate\` or set MIGRATE_ON_START=true`,
    );
  }
}
