import { migrationsDir } from '@app/common';
import { StartupError } from '@app/common';
import type { AppConfig } from '@app/config';
import { redactUrl } from '@app/config';
import { databaseUrlOf, ensureDatabase, migrate, migrationStatus, type DatabaseRole } from '@app/database';
import { checkRedis } from '@app/redis';

/**
 * Everything that must hold before a role starts: the database exists (created
 * when allowed), Redis answers, and the schema is migrated (or, with
 * MIGRATE_ON_START=false, already is). Throws a StartupError or a
 * MigrationError with a one-line reason.
 *
 * Creating and migrating need the owner (DATABASE_URL). With both turned off
 * (DATABASE_AUTO_CREATE=false, MIGRATE_ON_START=false, as `serve` starts its
 * children), an API or worker process checks with its own role's URL and
 * never connects as the owner.
 */
export async function prepareDependencies(config: AppConfig, log: (line: string) => void, role: DatabaseRole = 'owner'): Promise<void> {
  const owner = config.database.autoCreate || config.database.migrateOnStart;
  const url = owner ? config.database.url : databaseUrlOf(config, role);
  const created = await ensureDatabase(url, config.database.autoCreate);
  if (created) log(`created database at ${redactUrl(url)}`);
  await checkRedis(config.redis);
  const dir = migrationsDir();
  if (config.database.migrateOnStart) {
    await migrate(url, dir, log);
    return;
  }
  const { pending } = await migrationStatus(url, dir);
  if (pending.length > 0) {
    throw new StartupError(
      `${pending.length} migration(s) pending (${pending.join(', ')}); run \`npm run cli -- migrate\` or set MIGRATE_ON_START=true`,
    );
  }
}
