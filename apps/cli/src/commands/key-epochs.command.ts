import { Option, type Command } from 'commander';
import { CLI_ACTOR } from '@app/audit';
import { StartupError } from '@app/common';
import { loadConfig, type AppConfig } from '@app/config';
import { KeyEpochScheme } from '@app/database';
import { KeyEpochAdminModule, KeyEpochAdminService, KeyEpochError, type KeyEpochSummary } from '@app/key-epochs';
import { withCliContext } from '../cli-context.js';

/** What `create-key-epoch` takes. */
export interface CreateKeyEpochOptions {
  epoch: string;
  notBefore: string;
  notAfter: string;
  scheme?: string;
}

/** What `list-key-epochs` reports: the epochs, and labels stored indicators carry without one. */
export interface KeyEpochListing {
  epochs: KeyEpochSummary[];
  labelsWithoutEpoch: string[];
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function parseTime(flag: string, value: string): Date {
  const time = ISO_TIME.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(time.getTime())) {
    throw new StartupError(`${flag} must be an ISO 8601 date or UTC time such as 2027-01-01 or 2027-01-01T00:00:00Z (got "${value}")`);
  }
  return time;
}

/** Runs an operator's key-epoch command; its refusals are one-line messages. */
function withKeyEpochs<T>(config: AppConfig, work: (admin: KeyEpochAdminService) => Promise<T>): Promise<T> {
  return withCliContext(
    config,
    async (app) => {
      try {
        return await work(app.get(KeyEpochAdminService));
      } catch (error) {
        if (error instanceof KeyEpochError) throw new StartupError(error.message);
        throw error;
      }
    },
    [KeyEpochAdminModule],
  );
}

/** Creates a key epoch (TWO_KEY unless told HMAC); a TWO_KEY one gets a new OPRF key sealed under the data key. */
export async function createKeyEpoch(config: AppConfig, options: CreateKeyEpochOptions): Promise<KeyEpochSummary> {
  const scheme = (options.scheme ?? KeyEpochScheme.TWO_KEY).toUpperCase();
  if (scheme !== KeyEpochScheme.TWO_KEY && scheme !== KeyEpochScheme.HMAC) {
    throw new StartupError(`--scheme must be TWO_KEY or HMAC (got "${options.scheme}")`);
  }
  const notBefore = parseTime('--not-before', options.notBefore);
  const notAfter = parseTime('--not-after', options.notAfter);
  return withKeyEpochs(config, (admin) => admin.create(CLI_ACTOR, { label: options.epoch, scheme, notBefore, notAfter }));
}

/** Every key epoch, and the labels in use that have none. */
export function listKeyEpochs(config: AppConfig): Promise<KeyEpochListing> {
  return withKeyEpochs(config, async (admin) => ({ epochs: await admin.list(), labelsWithoutEpoch: await admin.labelsWithoutEpoch() }));
}

/** Retires a key epoch now: evaluateBlinded refuses it from then on. */
export function retireKeyEpoch(config: AppConfig, label: string): Promise<KeyEpochSummary> {
  return withKeyEpochs(config, (admin) => admin.retire(CLI_ACTOR, label));
}

/** The table `list-key-epochs` prints. */
export function keyEpochTable(listing: KeyEpochListing): string {
  const header = ['EPOCH', 'SCHEME', 'STATUS', 'NOT BEFORE', 'NOT AFTER', 'PUBLIC KEY'];
  const rows = listing.epochs.map((e) => [
    e.label,
    e.scheme,
    e.status,
    e.notBefore.toISOString(),
    e.notAfter.toISOString(),
    e.publicKey ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const lines = [line(header), ...rows.map(line)];
  if (listing.epochs.length === 0) lines.push('(no key epochs: submitIndicators accepts any epoch label)');
  if (listing.labelsWithoutEpoch.length > 0) {
    lines.push(
      '',
      `labels in use without an epoch: ${listing.labelsWithoutEpoch.join(', ')}`,
      'create an HMAC epoch for each before the first TWO_KEY epoch (create-key-epoch --scheme HMAC), or submitIndicators will refuse them',
    );
  }
  return lines.join('\n');
}

/** `create-key-epoch --epoch <label> --not-before <time> --not-after <time> [--scheme]`. */
export function registerCreateKeyEpoch(program: Command): void {
  program
    .command('create-key-epoch')
    .description('(operator) create a key epoch; a TWO_KEY one gets a new OPRF key (sealed, never exported) and prints its public key')
    .requiredOption('--epoch <label>', 'the epoch label tokens will carry, e.g. 2027-q1')
    .requiredOption('--not-before <time>', 'when it becomes ACTIVE (ISO 8601)')
    .requiredOption('--not-after <time>', 'when it stops being ACTIVE (ISO 8601)')
    .addOption(
      new Option('--scheme <scheme>', 'TWO_KEY (default) or HMAC (for labels of existing data)')
        .choices(['TWO_KEY', 'HMAC'])
        .default('TWO_KEY'),
    )
    .action(async (options: CreateKeyEpochOptions) => {
      const epoch = await createKeyEpoch(loadConfig(), options);
      console.log(
        `created ${epoch.scheme} key epoch ${epoch.label} (${epoch.status}, ${epoch.notBefore.toISOString()} to ${epoch.notAfter.toISOString()})`,
      );
      if (epoch.publicKey) {
        console.log(`public key ${epoch.publicKey}`);
        process.stderr.write(
          'Publish this key to members through a channel other than the API; they pin it (oprfPublicKeys) and compare it with oprfKeys.\n',
        );
      }
    });
}

/** `list-key-epochs [--json]`. */
export function registerListKeyEpochs(program: Command): void {
  program
    .command('list-key-epochs')
    .description('(operator) list key epochs with their status, and epoch labels in use that have none')
    .option('--json', 'one JSON document')
    .action(async (options: { json?: boolean }) => {
      const listing = await listKeyEpochs(loadConfig());
      console.log(options.json ? JSON.stringify(listing, null, 2) : keyEpochTable(listing));
    });
}

/** `retire-key-epoch --epoch <label>`. */
export function registerRetireKeyEpoch(program: Command): void {
  program
    .command('retire-key-epoch')
    .description('(operator) retire a key epoch now: its key no longer evaluates')
    .requiredOption('--epoch <label>', 'the epoch to retire')
    .action(async (options: { epoch: string }) => {
      const epoch = await retireKeyEpoch(loadConfig(), options.epoch);
      console.log(`key epoch ${epoch.label} is ${epoch.status} (since ${epoch.retiredAt?.toISOString()})`);
    });
}
