import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { explainStartupFailure, loadDotEnv } from '@app/runtime';
import { registerDoctor } from './commands/doctor.command.js';
import { registerMigrate } from './commands/migrate.command.js';
import { registerServe } from './commands/serve.command.js';

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

loadDotEnv();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  const { message, exitCode } = explainStartupFailure(error);
  process.stderr.write(`sigfed: ${message}\n`);
  process.exit(exitCode);
}
