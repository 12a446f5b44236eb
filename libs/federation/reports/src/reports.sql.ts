import { statement } from '@app/database';
import type { ReportFact } from './federation-report.js';

/** One member's health figures, as member_health_facts() returns them (an active admin's transaction only). */
export interface HealthRow {
  member_id: string;
  last_submission_at: Date | null;
  indicators_held: bigint;
  endpoints: number;
  disabled_endpoints: number;
  deliveries_day: number;
  failed_day: number;
  oldest_undelivered_at: Date | null;
}

/** Every member's health figures. */
export const memberHealthFacts = statement<[], HealthRow>('reports.memberHealthFacts', `SELECT * FROM member_health_facts()`);

/** The federation report's figures for [$1, $2), each with how many members stand behind it. */
export const federationReportFacts = statement<[from: Date, to: Date], ReportFact>(
  'reports.federationReportFacts',
  `SELECT * FROM federation_report_facts($1, $2)`,
);

/** The per-member lines of the members that disclosed their identity, for [$1, $2). */
export const federationReportDisclosed = statement<
  [from: Date, to: Date],
  { member_id: string; name: string; indicators: bigint; matched: bigint }
>('reports.federationReportDisclosed', `SELECT * FROM federation_report_disclosed($1, $2)`);
