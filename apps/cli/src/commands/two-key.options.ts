import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  FileTokenCache,
  OprfKeyMismatchError,
  OprfKeyNotPinnedError,
  OprfVerificationError,
  TokenCacheError,
  TwoKeyTokens,
  isValidKeyEpoch,
  parseOprfPublicKey,
  type SigfedClient,
  type SigfedCredentials,
} from '@app/sdk';
import { CliFailure } from '../cli-failure.js';

/** What `--oprf-public-key` and `--oprf-cache` leave in a command's options. */
export interface TwoKeyOptions {
  oprfPublicKey?: Record<string, string>;
  oprfCache?: string;
}

function pinArgument(text: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = text.indexOf('=');
  const epoch = text.slice(0, at);
  const key = text.slice(at + 1);
  if (at < 1 || !isValidKeyEpoch(epoch)) throw new InvalidArgumentError('<epoch>=<public key>, e.g. 2027-q1=xke-84SX...');
  try {
    parseOprfPublicKey(key);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return { ...previous, [epoch]: key };
}

/** Adds `--oprf-public-key <epoch>=<pk>` (repeatable) and `--oprf-cache <file>`. */
export function addTwoKeyOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--oprf-public-key <epoch=key>',
        "pin a TWO_KEY epoch's public key (repeatable; adds to oprfPublicKeys of the credentials file)",
      ).argParser(pinArgument),
    )
    .option('--oprf-cache <file>', 'token cache of TWO_KEY epochs (default: <credentials>.oprf-cache)');
}

/**
 * The two-key side of a member command: pins from the credentials file and the flags (a flag
 * wins for its epoch), and the token cache file, opened (created 0600) only when an epoch
 * turns out to be TWO_KEY.
 */
export function twoKeyTokens(
  client: SigfedClient,
  credentials: SigfedCredentials,
  credentialsPath: string,
  options: TwoKeyOptions,
): TwoKeyTokens {
  const oprfPublicKeys = { ...credentials.oprfPublicKeys, ...options.oprfPublicKey };
  let cache: FileTokenCache | undefined;
  const path = options.oprfCache ?? `${credentialsPath}.oprf-cache`;
  const lazy = {
    get: (...args: Parameters<FileTokenCache['get']>) => (cache ??= openCache(path)).get(...args),
    put: (...args: Parameters<FileTokenCache['put']>) => (cache ??= openCache(path)).put(...args),
  };
  return new TwoKeyTokens(client, { oprfPublicKeys, cache: lazy });
}

function openCache(path: string): FileTokenCache {
  try {
    return FileTokenCache.open(path);
  } catch (error) {
    throw new CliFailure((error as Error).message);
  }
}

/** Turns the two-key errors a member can act on into one-line CLI failures. */
export function twoKeyFailure(error: unknown): unknown {
  const known = [OprfKeyMismatchError, OprfKeyNotPinnedError, OprfVerificationError, TokenCacheError];
  return known.some((type) => error instanceof type) ? new CliFailure((error as Error).message) : error;
}
