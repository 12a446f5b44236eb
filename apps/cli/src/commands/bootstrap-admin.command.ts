import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CLI_ACTOR, SYSTEM_ACTOR, type AuditActor } from '@app/audit';
import { StartupError } from '@app/common';
import { loadConfig, type AppConfig } from '@app/config';
import { MemberError, MemberErrorCode, MembersService } from '@app/members';
import { prepareDependencies } from '@app/runtime';
import { withCliContext } from '../cli-context.js';
import { writeCredentialFile, type MemberCredential } from '../credential-file.js';

/** Options of `bootstrap-admin`. */
export interface BootstrapAdminOptions {
  name: string;
  out: string;
  /** Create another admin even though one exists. */
  add?: boolean;
  actor?: AuditActor;
}

/**
 * Creates an admin member with a new key pair and writes its credential
 * (`clientId`, `privateJwk`, `issuer`) to `out` with mode 0600. Refuses when
 * an admin exists unless `add`, and never overwrites a file.
 */
export async function bootstrapAdmin(config: AppConfig, options: BootstrapAdminOptions): Promise<MemberCredential> {
  const path = resolve(options.out);
  return withCliContext(config, async (app) => {
    const members = app.get(MembersService);
    if (!options.add && (await members.adminExists())) throw adminExists(config);
    const credential = await writeCredentialFile(path, async () => {
      try {
        const { member, privateJwk } = await members.bootstrapAdmin(options.name, {
          additional: Boolean(options.add),
          actor: options.actor ?? CLI_ACTOR,
        });
        return { clientId: member.clientId, privateJwk, issuer: config.http.publicBaseUrl };
      } catch (error) {
        if (error instanceof MemberError && error.code === MemberErrorCode.AdminExists) throw adminExists(config);
        throw error;
      }
    });
    if (!credential) throw adminExists(config);
    return credential;
  });
}

/** Says where the first admin's credential is when the first start wrote it, since that is what the caller is after. */
function adminExists(config: AppConfig): StartupError {
  const file = config.bootstrap.credentialFile;
  const where = existsSync(file) ? `; the first start wrote its credential to ${file} (use --credentials ${file})` : '';
  return new StartupError(`an admin member exists already${where}; pass --add to create another admin`);
}

/**
 * The `serve` step after migrations: on a database without any admin,
 * creates the first one (BOOTSTRAP_ADMIN_NAME) and writes its credential to
 * <DATA_DIR>/bootstrap-admin.json, saying where. Does nothing otherwise.
 */
export async function createFirstAdminIfNone(config: AppConfig, log: (line: string) => void): Promise<void> {
  const file = config.bootstrap.credentialFile;
  const created = await withCliContext(config, async (app) => {
    const members = app.get(MembersService);
    if (await members.adminExists()) return undefined;
    return writeCredentialFile(file, async () => {
      try {
        const { member, privateJwk } = await members.bootstrapAdmin(config.bootstrap.adminName, {
          additional: false,
          actor: SYSTEM_ACTOR,
        });
        return { clientId: member.clientId, privateJwk, issuer: config.http.publicBaseUrl };
      } catch (error) {
        // Another process created the first admin at the same moment.
        if (error instanceof MemberError && error.code === MemberErrorCode.AdminExists) return undefined;
        throw error;
      }
    });
  });
  if (created) {
    log(
      `created the first admin member "${config.bootstrap.adminName}" (client id ${created.clientId}); ` +
        `its credential is in ${file} (mode 0600): it holds the admin's private key, move it somewhere safe`,
    );
    // Once, in plain text beside the JSON logs, so the operator does not have to dig for it.
    process.stderr.write(
      `\nFirst admin credential: ${file}\n` + `  next: npm run cli -- invite --credentials ${file} --org "<lab>" --email <address>\n\n`,
    );
  }
}

/** `bootstrap-admin --name <org> --out <file> [--add]`. */
export function registerBootstrapAdmin(program: Command): void {
  program
    .command('bootstrap-admin')
    .description('create an admin member and its key pair; write its credential file (mode 0600)')
    .requiredOption('--out <file>', 'where to write { clientId, privateJwk, issuer } (must not exist)')
    .option('--name <org>', 'display name of the admin member (default: BOOTSTRAP_ADMIN_NAME)')
    .option('--add', 'create another admin even though one exists')
    .action(async (options: { out: string; name?: string; add?: boolean }) => {
      const config = loadConfig();
      await prepareDependencies(config, (line) => console.log(line));
      const name = options.name ?? config.bootstrap.adminName;
      if (!/^\S.{0,199}$/s.test(name)) throw new StartupError('--name must be 1-200 characters, not starting with a space');
      const credential = await bootstrapAdmin(config, { name, out: options.out, add: options.add });
      console.log(`created admin member "${name}" with client id ${credential.clientId}`);
      console.log(`credential written to ${resolve(options.out)} (mode 0600); it holds the private key: keep it safe`);
    });
}
