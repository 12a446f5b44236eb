import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import {
  CanonicalizationError,
  INDICATOR_TYPES,
  SigfedApiError,
  SigfedNetworkError,
  hashIndicator,
  isIndicatorType,
  parseFederationKey,
  type IndicatorType,
} from '@app/sdk';

/** A member-command failure whose message is the whole story: printed as is, exit status 1 unless told. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Exit status of a command whose request the server refused (a GraphQL or OAuth error). */
export const EXIT_REFUSED = 2;
/** Exit status of a command that could not reach the server (after the client's retries). */
export const EXIT_UNREACHABLE = 3;

/** The exit status a failure ends a member command with (docs/member-cli.md, "Output and exit codes"). */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliFailure) return error.exitCode;
  if (error instanceof SigfedApiError) return EXIT_REFUSED;
  if (error instanceof SigfedNetworkError) return EXIT_UNREACHABLE;
  return 1;
}

/**
 * Runs a member command's action and turns any failure into one line on stderr and its exit
 * status (exitCodeOf). main.ts's generic handler would call it a start-up failure, which it is not.
 */
export async function reportFailures(name: string, action: () => Promise<void> | void): Promise<void> {
  try {
    await action();
  } catch (error) {
    process.stderr.write(`sigfed ${name}: ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = exitCodeOf(error);
  }
}

/** Adds `--key` (or SIGFED_FEDERATION_KEY) and `--key-file`, the two ways to give the federation key. */
export function addFederationKeyOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--key <hex|base64>', 'federation key (shows in shell history and ps: prefer --key-file or the variable)').env('SIGFED_FEDERATION_KEY'),
    )
    .option('--key-file <path>', 'read the federation key (hex or base64 text) from this file');
}

/**
 * The federation key from --key-file, --key or SIGFED_FEDERATION_KEY, in that order. The key
 * stays in this process: it is never sent anywhere, and no message repeats it.
 */
export function resolveFederationKey(command: Command): Uint8Array {
  const { key, keyFile } = command.opts<{ key?: string; keyFile?: string }>();
  if (keyFile !== undefined) {
    // The variable may be set for other uses; only two explicit flags are a real conflict.
    if (key !== undefined && command.getOptionValueSource('key') === 'cli') {
      throw new CliFailure('give the federation key with --key or --key-file, not both');
    }
    return parseFederationKey(readFileSync(keyFile, 'utf8'));
  }
  if (key === undefined) throw new CliFailure('no federation key: pass --key-file <path> or --key <key>, or set SIGFED_FEDERATION_KEY');
  return parseFederationKey(key);
}

/** Reads an indicator type the way members type it: any case, surrounding spaces ignored. */
export function indicatorTypeArgument(text: string): IndicatorType {
  const type = text.trim().toUpperCase();
  if (!isIndicatorType(type)) throw new CliFailure(`unknown indicator type ${JSON.stringify(text)} (expected ${INDICATOR_TYPES.join(', ')})`);
  return type;
}

/**
 * `hash <type> <value>`: prints `<token>  <kind>` for each token the value derives (an IP range
 * gives one per block, a card with expiry two); `--show-canonical` adds the canonical string.
 */
export function registerHash(program: Command): void {
  const command = program
    .command('hash')
    .description('derive the tokens of one raw indicator value locally; nothing is sent anywhere')
    .argument('<type>', `indicator type: ${INDICATOR_TYPES.join(', ')}`)
    .argument('<value>', 'raw value; payment cards as PAN, PAN|MM/YY or BIN|LAST4|MM/YY (put -- before a value starting with -)')
    .option('--show-canonical', 'also print the canonical strings (they reveal the raw value)');
  addFederationKeyOptions(command).action((typeText: string, value: string, options: { showCanonical?: boolean }, self: Command) =>
    reportFailures('hash', () => {
      const type = indicatorTypeArgument(typeText);
      const key = resolveFederationKey(self);
      let hashed;
      try {
        hashed = hashIndicator(key, type, value);
      } catch (error) {
        if (error instanceof CanonicalizationError) throw new CliFailure(error.message);
        throw error;
      }
      for (const { token, kind, canonical } of hashed) {
        process.stdout.write(options.showCanonical ? `${token}  ${kind}  ${canonical}\n` : `${token}  ${kind}\n`);
      }
    }),
  );
}
