import type { IndicatorType } from '@app/database';
import type { FederationReport, ReportDisclosedMember, ReportFigure } from './models/federation-report.model.js';

/** One row of federation_report_facts: a figure, its type (or null), its value and the members behind it. */
export interface ReportFact {
  figure: string;
  type: IndicatorType | null;
  value: number;
  members: number | null;
}

const TYPES: readonly IndicatorType[] = ['PAYMENT_FINGERPRINT', 'IP_RANGE', 'PROMPT_TEMPLATE', 'ACCOUNT_SIGNAL'];

/** A figure drawn from `members` members: shown only when at least `k` stand behind it. */
export function kAnonymous(value: number | undefined, members: number | null | undefined, k: number): ReportFigure {
  if (value === undefined || members === undefined) return { value: null, withheldReason: 'no_data' };
  if (members !== null && members < k) return { value: null, withheldReason: 'fewer_than_min_members' };
  return { value, withheldReason: null };
}

/**
 * Builds the report from the facts the database aggregated. Every figure is
 * withheld when fewer than `k` members stand behind it; a share is withheld
 * when either its numerator or its denominator is.
 */
export function buildFederationReport(
  period: { from: Date; to: Date },
  k: number,
  facts: readonly ReportFact[],
  disclosed: readonly ReportDisclosedMember[],
): FederationReport {
  const find = (figure: string, type: IndicatorType | null = null) => facts.find((f) => f.figure === figure && f.type === type);
  const figure = (name: string, type: IndicatorType | null = null) => {
    const fact = find(name, type);
    return kAnonymous(fact?.value, fact?.members, k);
  };
  // A count with nothing to count is 0, which says nothing about any member.
  const count = (name: string, type: IndicatorType | null = null): ReportFigure =>
    find(name, type) ? figure(name, type) : { value: 0, withheldReason: null };
  const alerts = count('alerts');
  const share = (name: string): ReportFigure => {
    if (alerts.value === null) return alerts;
    if (alerts.value === 0) return { value: null, withheldReason: 'no_data' };
    const part = find(name);
    // No alert with this verdict: a share of 0, which says nothing about any member.
    if (!part) return { value: 0, withheldReason: null };
    const counted = kAnonymous(part.value, part.members, k);
    return counted.value === null ? counted : { value: counted.value / alerts.value, withheldReason: null };
  };
  return {
    from: period.from,
    to: period.to,
    minMembers: k,
    byType: TYPES.map((type) => ({ type, indicators: count('indicators', type), matches: count('matches', type) })),
    medianSecondsToFirstMatch: figure('median_seconds_to_match'),
    alerts,
    confirmedShare: share('alerts_confirmed'),
    falsePositiveShare: share('alerts_false_positive'),
    common: count('common'),
    suppressed: find('suppressed')?.value ?? 0,
    activeMembers: count('active_members'),
    disclosedMembers: [...disclosed].sort((a, b) => a.name.localeCompare(b.name)),
  };
}
