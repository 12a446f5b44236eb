import { describe, expect, it } from 'vitest';
import { decideMatch, type AlertBefore, type MatchBefore } from './decide.js';

const rules = { minMembers: 2, commonShare: 0.5, commonMinHolders: 10 };
const fresh: MatchBefore = { id: 'm', status: 'CLOSED', holderCount: 0, version: 0 };
const alert = (memberId: string, status: 'OPEN' | 'CLOSED', otherHolders: number, version = 1): AlertBefore => ({
  id: `a-${memberId}`,
  memberId,
  status,
  otherHolders,
  version,
});

describe('decideMatch', () => {
  it('opens a match and creates one alert per holder when k members hold the token', () => {
    const plan = decideMatch(fresh, ['A', 'B'], [], null, 3, rules);
    expect(plan.match).toEqual({ id: 'm', status: 'OPEN', holderCount: 2, version: 1, changed: true });
    expect(plan.create).toEqual(['A', 'B']);
    expect(plan.update).toEqual([]);
  });

  it('stays closed below k', () => {
    const plan = decideMatch(fresh, ['A'], [], null, 3, rules);
    expect(plan.match.status).toBe('CLOSED');
    expect(plan.match.changed).toBe(false);
    expect(plan.create).toEqual([]);
  });

  it('updates existing alerts (not duplicates) and adds one for a newcomer', () => {
    const open: MatchBefore = { id: 'm', status: 'OPEN', holderCount: 2, version: 1 };
    const plan = decideMatch(open, ['A', 'B', 'C'], [alert('A', 'OPEN', 1), alert('B', 'OPEN', 1)], null, 5, rules);
    expect(plan.match).toMatchObject({ status: 'OPEN', holderCount: 3, version: 2 });
    expect(plan.create).toEqual(['C']);
    expect(plan.update.map((u) => [u.memberId, u.type, u.otherHolders, u.version])).toEqual([
      ['A', 'alert.updated', 2, 2],
      ['B', 'alert.updated', 2, 2],
    ]);
  });

  it('changes nothing when a holder merely refreshes', () => {
    const open: MatchBefore = { id: 'm', status: 'OPEN', holderCount: 2, version: 3 };
    const plan = decideMatch(open, ['A', 'B'], [alert('A', 'OPEN', 1), alert('B', 'OPEN', 1)], null, 5, rules);
    expect(plan.match.changed).toBe(false);
    expect(plan.create).toEqual([]);
    expect(plan.update).toEqual([]);
  });

  it('closes every alert when a retraction drops the match below k', () => {
    const open: MatchBefore = { id: 'm', status: 'OPEN', holderCount: 2, version: 1 };
    const plan = decideMatch(open, ['A'], [alert('A', 'OPEN', 1), alert('B', 'OPEN', 1)], null, 5, rules);
    expect(plan.match).toMatchObject({ status: 'CLOSED', changed: true, version: 2 });
    expect(plan.update.map((u) => [u.memberId, u.type])).toEqual([
      ['A', 'alert.closed'],
      ['B', 'alert.closed'],
    ]);
  });

  it("closes only the leaver's alert when the match stays at or above k", () => {
    const open: MatchBefore = { id: 'm', status: 'OPEN', holderCount: 3, version: 1 };
    const alerts = [alert('A', 'OPEN', 2), alert('B', 'OPEN', 2), alert('C', 'OPEN', 2)];
    const plan = decideMatch(open, ['A', 'B'], alerts, null, 5, rules);
    expect(plan.update.map((u) => [u.memberId, u.type, u.otherHolders])).toEqual([
      ['A', 'alert.updated', 1],
      ['B', 'alert.updated', 1],
      ['C', 'alert.closed', 2],
    ]);
  });

  it('reopens a closed alert when its member holds the token again', () => {
    const closed: MatchBefore = { id: 'm', status: 'CLOSED', holderCount: 1, version: 2 };
    const plan = decideMatch(closed, ['A', 'B'], [alert('A', 'CLOSED', 1, 2), alert('B', 'CLOSED', 1, 2)], null, 5, rules);
    expect(plan.create).toEqual([]);
    expect(plan.update.map((u) => [u.memberId, u.status, u.type, u.version])).toEqual([
      ['A', 'OPEN', 'alert.updated', 3],
      ['B', 'OPEN', 'alert.updated', 3],
    ]);
  });

  it('never alerts on a suppressed token, and closes what was open', () => {
    expect(decideMatch(fresh, ['A', 'B', 'C'], [], 'SUPPRESSED', 5, rules).create).toEqual([]);
    const open: MatchBefore = { id: 'm', status: 'OPEN', holderCount: 2, version: 1 };
    const plan = decideMatch(open, ['A', 'B'], [alert('A', 'OPEN', 1), alert('B', 'OPEN', 1)], 'SUPPRESSED', 5, rules);
    expect(plan.match.status).toBe('CLOSED');
    expect(plan.update.every((u) => u.type === 'alert.closed' && u.closeReason === 'SUPPRESSED')).toBe(true);
  });

  it('closes the alerts of a quarantined token, or one under a retired key epoch, with that reason', () => {
    const open: MatchBefore = { id: 'm', status: 'OPEN', holderCount: 2, version: 1 };
    for (const reason of ['QUARANTINED', 'KEY_EPOCH_RETIRED'] as const) {
      const plan = decideMatch(open, ['A', 'B'], [alert('A', 'OPEN', 1), alert('B', 'OPEN', 1)], reason, 5, rules);
      expect(plan.match.status).toBe('CLOSED');
      expect(plan.update.map((u) => [u.memberId, u.type, u.closeReason])).toEqual([
        ['A', 'alert.closed', reason],
        ['B', 'alert.closed', reason],
      ]);
      expect(decideMatch(fresh, ['A', 'B'], [], reason, 5, rules).create).toEqual([]);
    }
  });

  it('says NOT_MATCHED for a leaver or a match below k, COMMON for a common token, and clears the reason on reopening', () => {
    const open: MatchBefore = { id: 'm', status: 'OPEN', holderCount: 2, version: 1 };
    const below = decideMatch(open, ['A'], [alert('A', 'OPEN', 1), alert('B', 'OPEN', 1)], null, 5, rules);
    expect(below.update.map((u) => u.closeReason)).toEqual(['NOT_MATCHED', 'NOT_MATCHED']);
    const holders = Array.from({ length: 11 }, (_, i) => `M${i}`);
    const common = decideMatch(open, holders, [alert('M0', 'OPEN', 1), alert('X', 'OPEN', 1)], null, 20, rules);
    expect(common.update.map((u) => [u.memberId, u.closeReason])).toEqual([
      ['M0', 'COMMON'],
      ['X', 'NOT_MATCHED'],
    ]);
    const closed: MatchBefore = { id: 'm', status: 'CLOSED', holderCount: 1, version: 2 };
    const reopened = decideMatch(closed, ['A', 'B'], [alert('A', 'CLOSED', 1, 2)], null, 5, rules);
    expect(reopened.update).toMatchObject([{ memberId: 'A', status: 'OPEN', closeReason: null }]);
  });

  it('marks a token held by more than the common share of members (past the minimum) as common', () => {
    const holders = Array.from({ length: 11 }, (_, i) => `M${i}`);
    const plan = decideMatch(fresh, holders, [], null, 20, rules);
    expect(plan.match.status).toBe('COMMON');
    expect(plan.create).toEqual([]);
    // Below the minimum number of holders the share does not apply: small federations still alert.
    expect(decideMatch(fresh, ['A', 'B'], [], null, 3, rules).match.status).toBe('OPEN');
  });
});
