import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CsvSyntaxError, hashAndBuild, isValidKeyEpoch, isValidToken, readIndicatorCsv, type IndicatorType } from '@app/sdk';
import { addApiOptions, apiAction, call, clientOf, fields, print, type ApiOptions } from '../member-api.js';
import { CliFailure, addFederationKeyOptions, indicatorTypeArgument, resolveFederationKey } from './hash.command.js';
import { readUtf8 } from './submit.command.js';

const RETRACT = `mutation Retract($input: RetractIndicatorsInput!) { retractIndicators(input: $input) { retracted } }`;
/** The server takes at most this many tokens per call. */
const CHUNK = 10_000;

interface RetractOptions extends ApiOptions {
  epoch: string;
  file?: string;
  tokens?: string;
  type?: string;
}

/** Tokens by type: from a CSV of raw values hashed here, or from a file of tokens of one type. */
function tokensToRetract(options: RetractOptions, self: Command): Map<IndicatorType, string[]> {
  const byType = new Map<IndicatorType, string[]>();
  const add = (type: IndicatorType, token: string) => byType.set(type, [...(byType.get(type) ?? []), token]);
  if ((options.file === undefined) === (options.tokens === undefined))
    throw new CliFailure('give either --file <csv> or --tokens <file> (with --type)');
  if (options.file !== undefined) {
    let csv;
    try {
      csv = readIndicatorCsv(readUtf8(options.file, 'the file'));
    } catch (error) {
      if (error instanceof CsvSyntaxError) throw new CliFailure(`${options.file}: ${error.message}`);
      throw error;
    }
    const built = hashAndBuild(resolveFederationKey(self), options.epoch, csv.rows);
    const refused = [...csv.refused, ...built.refused].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    if (refused.length > 0) throw new CliFailure(refused.map((r) => `line ${r.line}: ${r.message}`).join('\n') + '\nnothing was retracted');
    for (const indicator of built.indicators) add(indicator.type, indicator.token);
    return byType;
  }
  if (options.type === undefined) throw new CliFailure('--tokens needs --type <type>');
  const type = indicatorTypeArgument(options.type);
  const lines = readFileSync(options.tokens === '-' ? 0 : options.tokens!, 'utf8')
    .split('\n')
    .map((line) => line.trim());
  lines.forEach((token, i) => {
    if (token === '') return;
    if (!isValidToken(token)) throw new CliFailure(`${options.tokens} line ${i + 1}: not a token (64 lowercase hex characters)`);
    add(type, token);
  });
  return byType;
}

/**
 * `retract --epoch <label> --file <csv>`: hashes the values of a CSV (the
 * `submit` format; only type and value count) locally and retracts the tokens
 * you hold; `--tokens <file> --type <type>` retracts tokens given as they are.
 */
export function registerRetract(program: Command): void {
  const command = addApiOptions(
    program
      .command('retract')
      .description('withdraw your own indicators: hash a CSV of values locally (or take tokens) and retract them')
      .requiredOption('--epoch <label>', 'key epoch the tokens were derived under, e.g. 2026-q4')
      .option('--file <path>', 'CSV of raw values with a header row (the submit format; - reads stdin)')
      .option('--tokens <path>', 'a file of tokens, one per line (- reads stdin); needs --type')
      .option('--type <type>', 'indicator type of the tokens in --tokens'),
  );
  addFederationKeyOptions(command).action(
    apiAction('retract', async (options: RetractOptions, self: Command) => {
      if (!isValidKeyEpoch(options.epoch))
        throw new CliFailure(`--epoch ${JSON.stringify(options.epoch)} must match ^[a-z0-9][a-z0-9._-]{0,31}$`);
      const byType = tokensToRetract(options, self);
      const client = clientOf(options);
      let tokens = 0;
      let retracted = 0;
      for (const [type, list] of byType) {
        const unique = [...new Set(list)];
        tokens += unique.length;
        for (let start = 0; start < unique.length; start += CHUNK) {
          const input = { type, keyEpoch: options.epoch, tokens: unique.slice(start, start + CHUNK) };
          retracted += (await call<{ retractIndicators: { retracted: number } }>(client, RETRACT, { input })).retractIndicators.retracted;
        }
      }
      print(options, { tokens, retracted }, () =>
        fields([
          ['tokens', tokens],
          ['retracted', retracted],
        ]),
      );
    }),
  );
}
