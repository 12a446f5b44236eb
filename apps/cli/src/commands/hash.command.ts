import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import {
  CanonicalizationError,
  INDICATOR_TYPES,
  SigfedClient,
  TokenDeriver,
  hashIndicator,
  isIndicatorType,
  isValidKeyEpoch,
  parseCredentials,
  templateSignature,
  type TemplateSignature,
  parseFederationKey,
  type HashedIndicator,
  type IndicatorType,
  type SigfedCredentials,
} from '@app/sdk';
import { addTwoKeyOptions, twoKeyFailure, twoKeyTokens, type TwoKeyOptions } from './two-key.options.js';

import { CliFailure, exitCodeOf } from '../cli-failure.js';

export { CliFailure, EXIT_REFUSED, EXIT_UNREACHABLE, exitCodeOf } from '../cli-failure.js';

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
      new Option('--key <hex|base64>', 'federation key (shows in shell history and ps: prefer --key-file or the variable)').env(
        'SIGFED_FEDERATION_KEY',
      ),
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
  if (!isIndicatorType(type))
    throw new CliFailure(`unknown indicator type ${JSON.stringify(text)} (expected ${INDICATOR_TYPES.join(', ')})`);
  return type;
}

/** Reads a member credentials file ({ clientId, privateJwk, issuer[, oprfPublicKeys] }), or fails naming it. */
export function loadCredentials(path: string): SigfedCredentials {
  try {
    return parseCredentials(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliFailure(`${path}: ${(error as Error).message}`);
  }
}

interface HashOptions extends TwoKeyOptions {
  showCanonical?: boolean;
  signature?: boolean;
  epoch?: string;
  credentials?: string;
  server?: string;
}

/**
 * `hash <type> <value>`: prints `<token>  <kind>` for each token the value derives (an IP range
 * gives one per block, a card with expiry two); `--show-canonical` adds the canonical string.
 * Without `--epoch` the tokens are HMAC tokens, computed locally; with `--epoch` the server
 * says the epoch's scheme, and a TWO_KEY epoch's tokens are evaluated through it.
 * `--signature` (PROMPT_TEMPLATE only) adds the 32 band tokens of the template's signature.
 */
export function registerHash(program: Command): void {
  const command = program
    .command('hash')
    .description(
      'derive the tokens of one raw indicator value (HMAC epochs: locally, nothing is sent; TWO_KEY epochs: with the server, which sees only blinded values)',
    )
    .argument('<type>', `indicator type: ${INDICATOR_TYPES.join(', ')}`)
    .argument('<value>', 'raw value; payment cards as PAN, PAN|MM/YY or BIN|LAST4|MM/YY (put -- before a value starting with -)')
    .option('--show-canonical', 'also print the canonical strings (they reveal the raw value)')
    .option('--signature', "PROMPT_TEMPLATE only: also print the template's similarity signature (32 band tokens, minhash-v1)")
    .option('--epoch <label>', "the key epoch's tokens (needs --credentials); without it, HMAC tokens computed locally")
    .addOption(
      new Option('--credentials <path>', 'credentials JSON from onboarding, to ask the server about --epoch').env('SIGFED_CREDENTIALS'),
    )
    .option('--server <url>', "server address (default: the credentials' issuer)");
  addTwoKeyOptions(addFederationKeyOptions(command)).action((typeText: string, value: string, options: HashOptions, self: Command) =>
    reportFailures('hash', async () => {
      const type = indicatorTypeArgument(typeText);
      const key = resolveFederationKey(self);
      if (options.epoch !== undefined && !isValidKeyEpoch(options.epoch)) {
        throw new CliFailure(`--epoch ${JSON.stringify(options.epoch)} must match ^[a-z0-9][a-z0-9._-]{0,31}$`);
      }
      if (options.signature && type !== 'PROMPT_TEMPLATE') throw new CliFailure('--signature is for PROMPT_TEMPLATE values only');
      let hashed: HashedIndicator[];
      let signature: TemplateSignature | undefined;
      try {
        hashed = hashIndicator(key, type, value);
        if (options.signature) signature = templateSignature(key, value);
      } catch (error) {
        if (error instanceof CanonicalizationError) throw new CliFailure(error.message);
        throw error;
      }
      if (options.epoch !== undefined) {
        if (options.credentials === undefined) {
          throw new CliFailure(
            '--epoch needs --credentials <path> (or SIGFED_CREDENTIALS): the server says whether the epoch is HMAC or TWO_KEY, and evaluates TWO_KEY tokens',
          );
        }
        const credentials = loadCredentials(options.credentials);
        const client = SigfedClient.fromCredentials(credentials, { baseUrl: options.server });
        const deriver = new TokenDeriver(key, twoKeyTokens(client, credentials, options.credentials, options));
        try {
          hashed = await deriver.hashIndicator(options.epoch, type, value);
          if (options.signature) signature = await deriver.templateSignature(options.epoch, value);
        } catch (error) {
          throw twoKeyFailure(error);
        }
      }
      for (const { token, kind, canonical } of hashed) {
        process.stdout.write(options.showCanonical ? `${token}  ${kind}  ${canonical}\n` : `${token}  ${kind}\n`);
      }
      signature?.bands.forEach((band, i) => process.stdout.write(`${band}  ${signature.scheme} band ${i}\n`));
    }),
  );
}
