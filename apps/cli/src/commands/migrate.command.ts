import type { Command } from 'commander';
import { migrationsDir } from '@app/common';
import { loadConfig, redactUrl } from '@app/config';
import { ensureDatabase, migrate, migrationStatus } from '@app/database';

/** `migrate`: creates the database if allowed and applies pending migrations; `--status` only reports. */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (each in a transaction, under an advisory lock)')
    .option('--status', 'only list applied and pending migrations')
    .action(async (options: { status?: boolean }) => {
      const config = loadConfig();
      const url = config.database.url;
      if (options.status) {
        const status = await migrationStatus(url, migrationsDir());
        for (const name of status.applied) console.log(`applied   ${name}`);
        for (const name of status.pending) console.log(`pending   ${name}`);
        for (const name of status.modified) console.log(`modified  ${name} (file changed after it was applied)`);
        for (const name of status.unknown) console.log(`unknown   ${name} (in the database, not in prisma/migrations)`);
        return;
      }
      if (await ensureDatabase(url, config.database.autoCreate)) console.log(`created database ${redactUrl(url)}`);
      const applied = await migrate(url, migrationsDir(), (line) => console.log(line));
      console.log(applied.length ? `${applied.length} migration(s) applied` : 'database is up to date');
    });
}
