import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { isIndicatorType, SigfedClient, type Alert, type AlertFilter } from '@app/sdk';
// The STIX mapping alone: the @app/taxii barrel would load the TAXII server's Nest module, and Nest with it.
import { alertObjects, bundleOf, sharedObjects, type StixObject } from '../../../../libs/taxii/src/stix/alert-objects.js';
import { CliFailure, loadCredentials, reportFailures } from './hash.command.js';

interface AlertsOptions {
  credentials?: string;
  server?: string;
  status?: string;
  type?: string;
  since?: string;
  limit: string;
  json?: boolean;
  format?: string;
  out?: string;
}

/** A STIX 2.1 bundle of the alerts, as the TAXII collection serves them (docs/stix-taxii.md). */
export function stixBundle(alerts: readonly Alert[]): ReturnType<typeof bundleOf> {
  const objects = new Map<string, StixObject>(sharedObjects().map((o) => [o.id, o]));
  for (const a of alerts) {
    const facts = {
      ...a,
      disclosedHolders: [...a.disclosedHolders],
      firstSeenAt: new Date(a.firstSeenAt),
      lastSeenAt: new Date(a.lastSeenAt),
      createdAt: new Date(a.createdAt),
      updatedAt: new Date(a.updatedAt),
    };
    for (const o of alertObjects(facts)) objects.set(o.id, o);
  }
  return bundleOf(randomUUID(), [...objects.values()]);
}

function row(a: Alert): string {
  const others = `${a.otherHolderCount} other${a.otherHolderCount === 1 ? '' : 's'}`;
  const named = a.disclosedHolders.length ? ` (${a.disclosedHolders.join(', ')})` : '';
  return [
    a.createdAt.slice(0, 19).replace('T', ' '),
    a.status.padEnd(6),
    a.type.padEnd(19),
    a.keyEpoch.padEnd(10),
    `${a.token.slice(0, 16)}…`,
    `${others}${named}`,
    a.externalRef ? `ref ${a.externalRef}` : '',
  ].join('  ');
}

/** `alerts`: the member's alerts, newest first, as a table or JSON lines. */
export function registerAlerts(program: Command): void {
  program
    .command('alerts')
    .description('list your alerts, newest first (only your own token, reference and counts about others)')
    .addOption(new Option('--credentials <path>', 'your credentials JSON').env('SIGFED_CREDENTIALS'))
    .option('--server <url>', "server address (default: the credentials' issuer)")
    .option('--status <status>', 'OPEN or CLOSED')
    .option('--type <type>', 'only this indicator type')
    .option('--since <iso-time>', 'only alerts created or changed since then')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'one JSON object per line (same as --format json)')
    .option('--format <format>', 'table, json (one object per line) or stix (a STIX 2.1 bundle for offline import)', 'table')
    .option('--out <path>', 'write to this file instead of standard output')
    .action((options: AlertsOptions) =>
      reportFailures('alerts', async () => {
        if (!options.credentials) throw new CliFailure('--credentials <path> (or SIGFED_CREDENTIALS) is required');
        const filter: { -readonly [K in keyof AlertFilter]: AlertFilter[K] } = {};
        if (options.status) {
          if (options.status !== 'OPEN' && options.status !== 'CLOSED') throw new CliFailure('--status must be OPEN or CLOSED');
          filter.status = options.status;
        }
        if (options.type) {
          if (!isIndicatorType(options.type)) throw new CliFailure(`unknown indicator type ${JSON.stringify(options.type)}`);
          filter.type = options.type;
        }
        if (options.since) {
          if (Number.isNaN(Date.parse(options.since))) throw new CliFailure('--since must be an ISO 8601 time');
          filter.since = new Date(options.since).toISOString();
        }
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new CliFailure('--limit must be a positive whole number');
        const format = options.json ? 'json' : (options.format ?? 'table');
        if (!['table', 'json', 'stix'].includes(format)) throw new CliFailure('--format must be table, json or stix');
        const client = SigfedClient.fromCredentials(loadCredentials(options.credentials), { baseUrl: options.server });
        const alerts: Alert[] = [];
        for await (const alert of client.alerts({ filter, pageSize: Math.min(limit, 100) })) {
          alerts.push(alert);
          if (alerts.length >= limit) break;
        }
        const text =
          format === 'stix'
            ? `${JSON.stringify(stixBundle(alerts), null, 2)}\n`
            : alerts.map((a) => `${format === 'json' ? JSON.stringify(a) : row(a)}\n`).join('');
        if (options.out) writeFileSync(options.out, text);
        else process.stdout.write(text);
        if (format !== 'json') process.stderr.write(`${alerts.length} alert(s)\n`);
      }),
    );
}
