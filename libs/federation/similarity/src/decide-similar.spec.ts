import { describe, expect, it } from 'vitest';
import { decideSimilar, estimatedJaccard, type SimilarBefore } from './decide-similar.js';

const before = (over: Partial<SimilarBefore> = {}): SimilarBefore => ({
  matchId: 'm1',
  memberId: 'A',
  live: true,
  status: 'CLOSED',
  holderCount: 0,
  bestShared: 0,
  version: 0,
  alert: null,
  ...over,
});
const other = (memberId: string, shared: number, signatureId = `${memberId}-sig`) => ({ memberId, shared, signatureId });

describe('estimatedJaccard', () => {
  it('solves s^4 from the share of agreeing bands', () => {
    expect(estimatedJaccard(32)).toBe(1);
    expect(estimatedJaccard(2)).toBe(0.5);
    expect(estimatedJaccard(4)).toBeCloseTo(0.595, 3);
    expect(estimatedJaccard(0)).toBe(0);
  });
});

describe('decideSimilar', () => {
  it('opens an alert when another member holds a similar signature', () => {
    const plan = decideSimilar(before(), [other('B', 8)], 2);
    expect(plan.match).toMatchObject({ status: 'OPEN', holderCount: 2, bestShared: 8, version: 1, changed: true, similarIds: ['B-sig'] });
    expect(plan.create).toEqual({ memberId: 'A', otherHolders: 1, similarity: estimatedJaccard(8) });
  });

  it('counts members, not signatures, and takes the best shared count', () => {
    const plan = decideSimilar(before(), [other('B', 5, 'b1'), other('B', 9, 'b2'), other('C', 4)], 2);
    expect(plan.match).toMatchObject({ holderCount: 3, bestShared: 9 });
    expect(plan.create?.otherHolders).toBe(2);
  });

  it('stays closed below MATCH_MIN_MEMBERS', () => {
    const plan = decideSimilar(before(), [other('B', 8)], 3);
    expect(plan.match.status).toBe('CLOSED');
    expect(plan.create).toBeNull();
  });

  it('closes the alert of a signature no longer live (retracted, expired, member suspended)', () => {
    const open = before({
      status: 'OPEN',
      holderCount: 2,
      bestShared: 8,
      version: 1,
      alert: { id: 'a', status: 'OPEN', otherHolders: 1, similarity: 0.71, version: 1 },
    });
    const plan = decideSimilar({ ...open, live: false }, [other('B', 8)], 2);
    expect(plan.match).toMatchObject({ status: 'CLOSED', changed: true, version: 2 });
    expect(plan.update).toMatchObject({ id: 'a', status: 'CLOSED', version: 2, type: 'alert.closed' });
  });

  it('closes when the others are gone, and reopens the same alert when they come back', () => {
    const open = before({
      status: 'OPEN',
      holderCount: 2,
      bestShared: 8,
      version: 1,
      alert: { id: 'a', status: 'OPEN', otherHolders: 1, similarity: 0.707, version: 1 },
    });
    expect(decideSimilar(open, [], 2).update).toMatchObject({ status: 'CLOSED', type: 'alert.closed', closeReason: 'NOT_MATCHED' });
    expect(decideSimilar(open, [], 2, 'QUARANTINED').update).toMatchObject({ status: 'CLOSED', closeReason: 'QUARANTINED' });
    const closed = { ...open, status: 'CLOSED' as const, alert: { ...open.alert!, status: 'CLOSED' as const, version: 2 } };
    expect(decideSimilar(closed, [other('B', 8)], 2, 'SUPPRESSED').update).toMatchObject({
      id: 'a',
      status: 'OPEN',
      version: 3,
      type: 'alert.updated',
      closeReason: null,
    });
  });

  it('changes nothing when a pass finds what the last one did (replays are no-ops)', () => {
    const open = before({
      status: 'OPEN',
      holderCount: 2,
      bestShared: 8,
      version: 1,
      alert: { id: 'a', status: 'OPEN', otherHolders: 1, similarity: estimatedJaccard(8), version: 1 },
    });
    const plan = decideSimilar(open, [other('B', 8)], 2);
    expect(plan.match.changed).toBe(false);
    expect(plan.create).toBeNull();
    expect(plan.update).toBeNull();
  });
});
