import { Option, type Command } from 'commander';
import { addApiOptions, apiAction, call, clientOf, type ApiOptions } from '../member-api.js';
import { CliFailure } from './hash.command.js';

const FIGURE = '{ value withheldReason }';
const REPORT = `query Report($from: DateTime!, $to: DateTime!) {
  federationReport(from: $from, to: $to) {
    from to minMembers byType { type indicators ${FIGURE} matches ${FIGURE} }
    medianSecondsToFirstMatch ${FIGURE} alerts ${FIGURE} confirmedShare ${FIGURE} falsePositiveShare ${FIGURE}
    common ${FIGURE} suppressed activeMembers ${FIGURE} disclosedMembers { memberId name indicators matched }
  }
}`;

interface Figure {
  value: number | null;
  withheldReason: string | null;
}
/** federationReport as the API returns it. */
export interface FederationReportView {
  from: string;
  to: string;
  minMembers: number;
  byType: { type: string; indicators: Figure; matches: Figure }[];
  medianSecondsToFirstMatch: Figure;
  alerts: Figure;
  confirmedShare: Figure;
  falsePositiveShare: Figure;
  common: Figure;
  suppressed: number;
  activeMembers: Figure;
  disclosedMembers: { memberId: string; name: string; indicators: number; matched: number }[];
}

const WITHHELD: Record<string, string> = { fewer_than_min_members: 'withheld (fewer than the minimum members)', no_data: 'no data' };
const show = (figure: Figure, format: (value: number) => string = (value) => String(value)) =>
  figure.value === null ? (WITHHELD[figure.withheldReason ?? 'no_data'] ?? String(figure.withheldReason)) : format(figure.value);
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const seconds = (value: number) => `${Math.round(value)} s`;
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The report as Markdown: a summary table, a table by type, and the disclosed members (if any). */
export function reportMarkdown(report: FederationReportView): string {
  const lines = [
    `# Federation report, ${report.from} to ${report.to}`,
    '',
    `No figure is drawn from fewer than ${report.minMembers} members (MATCH_MIN_MEMBERS); such figures are withheld.`,
    '',
    '| figure | value |',
    '| --- | --- |',
    `| active members | ${show(report.activeMembers)} |`,
    `| alerts | ${show(report.alerts)} |`,
    `| median time from first submission to first match | ${show(report.medianSecondsToFirstMatch, seconds)} |`,
    `| alerts judged confirmed abuse | ${show(report.confirmedShare, percent)} |`,
    `| alerts judged false positive | ${show(report.falsePositiveShare, percent)} |`,
    `| common tokens | ${show(report.common)} |`,
    `| tokens suppressed | ${report.suppressed} |`,
    '',
    '## By indicator type',
    '',
    '| type | indicators | matches |',
    '| --- | --- | --- |',
    ...report.byType.map((t) => `| ${t.type} | ${show(t.indicators)} | ${show(t.matches)} |`),
  ];
  if (report.disclosedMembers.length) {
    lines.push('', '## Members that disclosed their identity', '', '| member | indicators | matched |', '| --- | --- | --- |');
    for (const m of report.disclosedMembers) lines.push(`| ${cell(m.name)} | ${m.indicators} | ${m.matched} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** An ISO date or date-time for --from/--to, or a CliFailure naming the option. */
function instant(text: string, option: string): string {
  const time = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(time)) throw new CliFailure(`${option} must be a date (2026-11-01) or an ISO date-time`);
  return new Date(time).toISOString();
}

/** `report --from --to --format markdown|json`: federationReport through the API, with an admin's credentials. */
export function registerReport(program: Command): void {
  addApiOptions(
    program
      .command('report')
      .description('(admin) the federation report for a period (k-anonymous), as Markdown or JSON')
      .requiredOption('--from <date>', 'start of the period, inclusive (a date, UTC midnight, or an ISO date-time)')
      .requiredOption('--to <date>', 'end of the period, exclusive')
      .addOption(new Option('--format <format>', 'output format').choices(['markdown', 'json']).default('markdown')),
    "an admin's",
  ).action(
    apiAction('report', async (options: ApiOptions & { from: string; to: string; format: 'markdown' | 'json' }) => {
      const variables = { from: instant(options.from, '--from'), to: instant(options.to, '--to') };
      const { federationReport } = await call<{ federationReport: FederationReportView }>(clientOf(options), REPORT, variables);
      const json = options.format === 'json' || options.json;
      process.stdout.write(json ? `${JSON.stringify(federationReport, null, 2)}\n` : reportMarkdown(federationReport));
    }),
  );
}
