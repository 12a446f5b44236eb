import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { explainStartupFailure, loadDotEnv } from '@app/runtime';
import { registerAlerts } from './commands/alerts.command.js';
import { registerAuditVerify } from './commands/audit-verify.command.js';
import { createFirstAdminIfNone, registerBootstrapAdmin } from './commands/bootstrap-admin.command.js';
import { registerDoctor } from './commands/doctor.command.js';
import { registerHash } from './commands/hash.command.js';
import { registerInvite } from './commands/invite.command.js';
import { registerJoin } from './commands/join.command.js';
import { registerKeyEpochs } from './commands/key-epochs.command.js';
import { registerMigrate } from './commands/migrate.command.js';
import { registerRotateSigningKey } from './commands/rotate-signing-key.command.js';
import { beforeServeHooks, registerServe } from './commands/serve.command.js';
import { registerSubmit } from './commands/submit.command.js';

/**
 * The operators' and members' command line: `npm run cli -- <command>`.
 * Each command lives in commands/<name>.command.ts and registers itself here.
 */
const program = new Command('sigfed')
  .description('Sigfed: federation server for hashed abuse indicators')
  .showHelpAfterError()
  .exitOverride();

registerServe(program);
registerMigrate(program);
registerDoctor(program);
registerHash(program);
registerSubmit(program);
registerAlerts(program);
registerInvite(program);
registerJoin(program);
registerBootstrapAdmin(program);
registerRotateSigningKey(program);
registerAuditVerify(program);
registerKeyEpochs(program);

// `npm start` on an empty database creates the first admin once.
beforeServeHooks.push(createFirstAdminIfNone);

loadDotEnv();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  const { message, exitCode } = explainStartupFailure(error);
  process.stderr.write(`sigfed: ${message}\n`);
  process.exit(exitCode);
}
