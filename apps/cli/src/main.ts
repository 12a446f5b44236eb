import { existsSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { COMMANDS, commandNameIn } from './command-table.js';

/**
 * The operators' and members' command line: `npm run cli -- <command>`.
 * Each command lives in commands/<name>.command.ts and is listed in
 * command-table.ts; only the module of the command being run is loaded, so
 * member commands start without the server's libraries.
 */
const program = new Command('sigfed')
  .description('Sigfed: federation server for hashed abuse indicators')
  .showHelpAfterError()
  .exitOverride();

const wanted = commandNameIn(process.argv.slice(2));
for (const entry of COMMANDS) {
  if (entry.name === wanted) (await entry.load())(program);
  // Listed in `--help` and known to the parser; never run, since argv names another command.
  else program.command(entry.name).description(entry.description);
}

// Node's own parser, as the server processes do (libs/platform/runtime's loadDotEnv would load the server's libraries).
if (existsSync('.env')) process.loadEnvFile('.env');
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  // Loaded only now: `--help` should not pay for the SDK that hash.command.js imports.
  const { CliFailure } = await import('./commands/hash.command.js');
  if (error instanceof CliFailure) {
    process.stderr.write(`sigfed: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  const { explainStartupFailure } = await import('@app/runtime');
  const { message, exitCode } = explainStartupFailure(error);
  process.stderr.write(`sigfed: ${message}\n`);
  process.exit(exitCode);
}
