import type { Command } from 'commander';
import { ALERT_FIELDS } from '@app/sdk';
import { addApiOptions, apiAction, call, clientOf, fields, print, type ApiOptions } from '../member-api.js';
import { CliFailure } from './hash.command.js';

const SHOW = `query Alert($id: ID!) { alert(id: $id) { ${ALERT_FIELDS} } }`;
const ACKNOWLEDGE = `mutation Acknowledge($id: ID!, $verdict: Verdict!, $note: String) {
  acknowledgeAlert(id: $id, verdict: $verdict, note: $note) { ${ALERT_FIELDS} }
}`;

/** The verdicts `acknowledgeAlert` takes. */
export const VERDICTS = ['CONFIRMED_ABUSE', 'FALSE_POSITIVE', 'UNDER_REVIEW'] as const;

interface ShownAlert {
  id: string;
  type: string;
  token: string;
  keyEpoch: string;
  status: string;
  version: number;
  otherHolderCount: number;
  disclosedHolders: string[];
  externalRef: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  createdAt: string;
  closedAt: string | null;
  acknowledgedAt: string | null;
  verdict: string | null;
  verdictNote: string | null;
  verdictCounts: { confirmedAbuse: number; falsePositive: number; underReview: number };
}

function describeAlert(a: ShownAlert): string[] {
  const counts = a.verdictCounts;
  return fields([
    ['id', a.id],
    ['type', a.type],
    ['token', a.token],
    ['key epoch', a.keyEpoch],
    ['status', a.status],
    ['version', a.version],
    ['other holders', a.otherHolderCount],
    ['disclosed', a.disclosedHolders.join(', ') || null],
    ['your reference', a.externalRef],
    ['first seen', a.firstSeenAt],
    ['last seen', a.lastSeenAt],
    ['created', a.createdAt],
    ['closed', a.closedAt],
    ['your verdict', a.verdict],
    ['your note', a.verdictNote],
    ['acknowledged', a.acknowledgedAt],
    ['verdicts', `${counts.confirmedAbuse} confirmed abuse, ${counts.falsePositive} false positive, ${counts.underReview} under review`],
  ]);
}

/** `alert show <id>` and `alert acknowledge <id> --verdict <verdict>`. */
export function registerAlert(program: Command): void {
  const alert = program.command('alert').description('show one alert, or acknowledge it with a verdict');

  addApiOptions(
    alert.command('show').description('show one of your alerts').argument('<id>', 'the alert id (from `alerts --json`)'),
  ).action(
    apiAction('alert show', async (id: string, options: ApiOptions) => {
      const data = await call<{ alert: ShownAlert }>(clientOf(options), SHOW, { id });
      print(options, data.alert, () => describeAlert(data.alert));
    }),
  );

  addApiOptions(
    alert
      .command('acknowledge')
      .description('record your verdict on an alert (others see only the counts)')
      .argument('<id>', 'the alert id')
      .requiredOption('--verdict <verdict>', VERDICTS.join(', '))
      .option('--note <text>', 'a note for your own records (at most 2000 characters; never shown to others)'),
  ).action(
    apiAction('alert acknowledge', async (id: string, options: ApiOptions & { verdict: string; note?: string }) => {
      const verdict = options.verdict.trim().toUpperCase();
      if (!(VERDICTS as readonly string[]).includes(verdict)) throw new CliFailure(`--verdict must be one of ${VERDICTS.join(', ')}`);
      const data = await call<{ acknowledgeAlert: ShownAlert }>(clientOf(options), ACKNOWLEDGE, {
        id,
        verdict,
        note: options.note ?? null,
      });
      print(options, data.acknowledgeAlert, () => describeAlert(data.acknowledgeAlert));
    }),
  );
}
