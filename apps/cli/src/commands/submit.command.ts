import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  CsvSyntaxError,
  DEFAULT_BATCH_SIZE,
  MAX_BATCH_SIZE,
  SigfedClient,
  SigfedSubmitError,
  TokenDeriver,
  hashAndBuild,
  isValidKeyEpoch,
  readIndicatorCsv,
  type IndicatorInput,
  type SubmitProgress,
  type SubmitTotals,
  type TemplateSignatureInput,
} from '@app/sdk';
import { CliFailure, addFederationKeyOptions, loadCredentials, reportFailures, resolveFederationKey } from './hash.command.js';
import { signableRows, signatureInputs, submitSignatures } from './similarity.js';
import { addTwoKeyOptions, twoKeyFailure, twoKeyTokens, type TwoKeyOptions } from './two-key.options.js';

interface SubmitOptions extends TwoKeyOptions {
  file: string;
  credentials?: string;
  epoch: string;
  server?: string;
  batchSize: number;
  idempotencyPrefix?: string;
  dryRun?: boolean;
  strict?: boolean;
  similarity?: boolean;
}

function batchSize(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > MAX_BATCH_SIZE)
    throw new InvalidArgumentError(`a whole number from 1 to ${MAX_BATCH_SIZE}`);
  return value;
}

function idempotencyPrefix(text: string): string {
  // The server takes keys of 8-128 of these characters; "<prefix>:<batch>" must fit.
  if (!/^[A-Za-z0-9._:-]{6,100}$/.test(text)) throw new InvalidArgumentError('6-100 characters of A-Z a-z 0-9 . _ : -');
  return text;
}

/**
 * Reads a text file (or stdin for -) as strict UTF-8: invalid UTF-8 would otherwise be
 * decoded to U+FFFD and hashed into tokens nobody can match.
 */
export function readUtf8(path: string, what: string): string {
  const bytes = readFileSync(path === '-' ? 0 : path);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CliFailure(`${what} ${path} is not UTF-8 text; convert it first (for example with iconv)`);
  }
}

/** A one-line progress display on stderr, only when a person is watching it. */
function progressLine(): { update(progress: SubmitProgress): void; clear(): void } {
  if (!process.stderr.isTTY) return { update: () => undefined, clear: () => undefined };
  let shown = false;
  return {
    update: ({ batch, batches, sent, total }) => {
      shown = true;
      process.stderr.write(`\r\x1b[Ksubmitting: batch ${batch}/${batches}, ${sent}/${total} tokens`);
    },
    clear: () => {
      if (shown) process.stderr.write('\r\x1b[K');
    },
  };
}

function printSummary(lines: [string, string | number][]): void {
  for (const [label, value] of lines) process.stdout.write(`${label.padEnd(16)}${value}\n`);
}

/**
 * `submit --file <csv> --epoch <label>`: reads raw indicators from a CSV file, hashes them
 * locally with the federation key, and submits the tokens in batches with the member's
 * credentials. Refused rows are listed by line; the rest go on unless `--strict`.
 */
export function registerSubmit(program: Command): void {
  const command = program
    .command('submit')
    .description('hash the indicators of a CSV file locally and submit the tokens')
    .requiredOption(
      '--file <path>',
      'CSV file with a header row: type,value[,observed_at,expires_at,confidence,external_ref,disclose_identity] (- reads stdin)',
    )
    .requiredOption('--epoch <label>', 'key epoch the federation key belongs to, e.g. 2026-q4')
    .addOption(
      new Option('--credentials <path>', 'credentials JSON from onboarding ({ clientId, privateJwk, issuer })').env('SIGFED_CREDENTIALS'),
    )
    .option('--server <url>', "server address (default: the credentials' issuer)")
    .option('--batch-size <n>', `tokens per request, 1 to ${MAX_BATCH_SIZE}`, batchSize, DEFAULT_BATCH_SIZE)
    .option(
      '--idempotency-prefix <prefix>',
      'reuse the prefix a failed run printed, to resume it without storing anything twice',
      idempotencyPrefix,
    )
    .option('--dry-run', 'hash and check everything, send nothing (no credentials needed)')
    .option('--strict', 'submit nothing if any row is refused')
    .option(
      '--similarity',
      'also send the keyed MinHash signature of each PROMPT_TEMPLATE row (submitTemplateSignatures), so paraphrased templates match',
    );
  addTwoKeyOptions(addFederationKeyOptions(command)).action((options: SubmitOptions, self: Command) =>
    reportFailures('submit', async () => {
      if (!isValidKeyEpoch(options.epoch))
        throw new CliFailure(`--epoch ${JSON.stringify(options.epoch)} must match ^[a-z0-9][a-z0-9._-]{0,31}$`);
      const key = resolveFederationKey(self);
      if (!options.dryRun && options.credentials === undefined) {
        throw new CliFailure('--credentials <path> (or SIGFED_CREDENTIALS) is required unless --dry-run');
      }
      // Checked even for a dry run, so that a dry run vouches for the real one.
      const credentials = options.credentials === undefined ? undefined : loadCredentials(options.credentials);

      let csv;
      try {
        csv = readIndicatorCsv(readUtf8(options.file, 'the file'));
      } catch (error) {
        if (error instanceof CsvSyntaxError) throw new CliFailure(`${options.file}: ${error.message}`);
        throw error;
      }
      const built = hashAndBuild(key, options.epoch, csv.rows);
      const refused = [...csv.refused, ...built.refused].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
      for (const refusal of refused) process.stderr.write(`line ${refusal.line}: ${refusal.message}\n`);
      const signable = options.similarity ? signableRows(key, options.epoch, csv.rows) : undefined;
      for (const refusal of signable?.refused ?? []) process.stderr.write(`${refusal}\n`);

      const tokens = built.indicators.length;
      const plannedBatches = Math.ceil(tokens / options.batchSize);
      const counts: [string, string | number][] = [
        ['rows read', csv.rowsRead],
        ['rows refused', refused.length],
        ['tokens derived', tokens],
        ...(signable ? ([['signatures', signable.texts.length]] as [string, number][]) : []),
      ];
      const notSent = (why: string) => {
        printSummary([
          ...counts,
          ['batches', `${plannedBatches} (not sent)`],
          ['accepted', '-'],
          ['duplicates', '-'],
          ['submission ids', '-'],
        ]);
        process.stderr.write(`${why}\n`);
      };

      if (options.strict && refused.length > 0) {
        notSent(`nothing was submitted: ${refused.length} row(s) refused and --strict is set`);
        process.exitCode = 1;
        return;
      }
      if (csv.rowsRead > 0 && tokens === 0) {
        notSent('nothing to submit: every row was refused');
        process.exitCode = 1;
        return;
      }
      if (options.dryRun) {
        notSent('dry run: nothing was sent');
        return;
      }

      const client = SigfedClient.fromCredentials(credentials!, { baseUrl: options.server });
      // A TWO_KEY epoch's tokens need the server's half; HMAC epochs pass through unchanged.
      const twoKey = twoKeyTokens(client, credentials!, options.credentials!, options);
      let indicators: IndicatorInput[];
      let signatures: TemplateSignatureInput[] = [];
      try {
        indicators = await twoKey.finalizeIndicators(built.indicators);
        // Under a TWO_KEY epoch each band goes through the OPRF like a token (32 per template).
        if (signable && signable.texts.length > 0) {
          signatures = signatureInputs(signable, await new TokenDeriver(key, twoKey).templateSignatures(options.epoch, signable.texts));
        }
      } catch (error) {
        throw twoKeyFailure(error);
      }
      if (twoKey.stats.evaluated + twoKey.stats.cached > 0) {
        counts.push(['evaluated', twoKey.stats.evaluated], ['from cache', twoKey.stats.cached]);
      }
      const progress = progressLine();
      const done = (totals: SubmitTotals, signed?: { accepted: number; duplicates: number }) =>
        printSummary([
          ...counts,
          ['batches', totals.batches],
          ['accepted', totals.accepted],
          ['duplicates', totals.duplicates],
          ['submission ids', totals.submissionIds.length],
          ...(signable
            ? ([
                ['sig. accepted', signed?.accepted ?? '-'],
                ['sig. duplicates', signed?.duplicates ?? '-'],
              ] as [string, string | number][])
            : []),
        ]);
      // Shown before the first answer, which also waits for the access token.
      progress.update({ batch: 0, batches: plannedBatches, sent: 0, total: tokens, accepted: 0, duplicates: 0 });
      let totals: SubmitTotals;
      try {
        totals = await client.submitIndicators(indicators, {
          batchSize: options.batchSize,
          idempotencyKeyPrefix: options.idempotencyPrefix,
          onProgress: progress.update,
        });
        progress.clear();
      } catch (error) {
        progress.clear();
        if (!(error instanceof SigfedSubmitError)) throw error;
        done(error.completed);
        throw new CliFailure(
          `${error.message}\nto resume, run the same command with --idempotency-prefix ${error.completed.idempotencyKeyPrefix} (same file, epoch and batch size)`,
        );
      }
      if (signable === undefined) {
        done(totals);
        return;
      }
      // After the exact tokens, under the same prefix: a rerun with it stores neither twice.
      let signed = { accepted: 0, duplicates: 0 };
      if (signatures.length > 0) {
        try {
          signed = await submitSignatures(client, signatures, totals.idempotencyKeyPrefix);
        } catch (error) {
          done(totals);
          throw new CliFailure(
            `the template signatures were not stored: ${(error as Error).message}\nto resume, run the same command with --idempotency-prefix ${totals.idempotencyKeyPrefix} (same file, epoch and batch size)`,
          );
        }
      }
      done(totals, signed);
    }),
  );
}
