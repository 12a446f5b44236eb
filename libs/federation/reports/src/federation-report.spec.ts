import { describe, expect, it } from 'vitest';
import { buildFederationReport, kAnonymous, type ReportFact } from './federation-report.js';

const period = { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-12-01T00:00:00Z') };

describe('kAnonymous', () => {
  it('shows a figure drawn from at least k members', () => {
    expect(kAnonymous(12, 3, 3)).toEqual({ value: 12, withheldReason: null });
  });
  it('withholds a figure drawn from fewer than k members', () => {
    expect(kAnonymous(12, 2, 3)).toEqual({ value: null, withheldReason: 'fewer_than_min_members' });
  });
  it('says no_data when nothing was counted', () => {
    expect(kAnonymous(undefined, undefined, 3)).toEqual({ value: null, withheldReason: 'no_data' });
  });
});

describe('buildFederationReport', () => {
  const facts: ReportFact[] = [
    { figure: 'indicators', type: 'IP_RANGE', value: 500, members: 4 },
    { figure: 'indicators', type: 'PROMPT_TEMPLATE', value: 40, members: 1 },
    { figure: 'matches', type: 'IP_RANGE', value: 7, members: 3 },
    { figure: 'median_seconds_to_match', type: null, value: 3600, members: 3 },
    { figure: 'alerts', type: null, value: 20, members: 3 },
    { figure: 'alerts_confirmed', type: null, value: 5, members: 3 },
    { figure: 'alerts_false_positive', type: null, value: 2, members: 1 },
    { figure: 'suppressed', type: null, value: 4, members: null },
    { figure: 'active_members', type: null, value: 4, members: 4 },
  ];
  const report = buildFederationReport(period, 3, facts, []);

  it('withholds per-type figures that one member alone stands behind', () => {
    const byType = Object.fromEntries(report.byType.map((t) => [t.type, t]));
    expect(byType.IP_RANGE.indicators).toEqual({ value: 500, withheldReason: null });
    expect(byType.PROMPT_TEMPLATE.indicators).toEqual({ value: null, withheldReason: 'fewer_than_min_members' });
    expect(byType.ACCOUNT_SIGNAL.matches).toEqual({ value: 0, withheldReason: null });
  });

  it('computes shares of the alerts, withholding one whose verdicts come from too few members', () => {
    expect(report.confirmedShare).toEqual({ value: 0.25, withheldReason: null });
    expect(report.falsePositiveShare).toEqual({ value: null, withheldReason: 'fewer_than_min_members' });
  });

  it('withholds every share when the alerts themselves are withheld', () => {
    const few = buildFederationReport(period, 4, facts, []);
    expect(few.alerts.value).toBeNull();
    expect(few.confirmedShare).toEqual({ value: null, withheldReason: 'fewer_than_min_members' });
  });

  it('counts admins’ suppressions without a member threshold and shows 0 for no common tokens', () => {
    expect(report.suppressed).toBe(4);
    expect(report.common).toEqual({ value: 0, withheldReason: null });
    expect(report.activeMembers.value).toBe(4);
    expect(report.minMembers).toBe(3);
  });

  it('has no shares and no median when nothing matched', () => {
    const quiet = buildFederationReport(period, 3, [], []);
    expect(quiet.alerts).toEqual({ value: 0, withheldReason: null });
    expect(quiet.confirmedShare).toEqual({ value: null, withheldReason: 'no_data' });
    expect(quiet.medianSecondsToFirstMatch).toEqual({ value: null, withheldReason: 'no_data' });
    expect(quiet.activeMembers).toEqual({ value: 0, withheldReason: null });
  });
});
