import { describe, expect, it } from 'vitest';
import { auditEntryHash, canonicalJson, GENESIS_HASH, type HashedAuditFields } from './audit-hash.js';

const entry: HashedAuditFields = {
  id: 7n,
  occurredAt: new Date('2026-11-26T10:00:00.123Z'),
  actorMemberId: null,
  actorLabel: 'cli',
  action: 'member.suspended',
  targetType: 'member',
  targetId: 'm1',
  requestId: null,
  details: { reason: 'abuse', nested: { b: 1, a: [true, null] } },
  prevHash: GENESIS_HASH,
};

describe('canonicalJson', () => {
  it('sorts keys at every level and ignores insertion order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 'x' }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":"x","z":0}]},"b":1}');
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });
});

describe('auditEntryHash', () => {
  it('is stable for the same entry whatever the key order of its details', () => {
    const reordered = { ...entry, details: { nested: { a: [true, null], b: 1 }, reason: 'abuse' } };
    expect(auditEntryHash(reordered).equals(auditEntryHash(entry))).toBe(true);
  });

  it.each([
    ['id', { id: 8n }],
    ['time', { occurredAt: new Date('2026-11-26T10:00:00.124Z') }],
    ['actor', { actorLabel: 'system' }],
    ['action', { action: 'member.reinstated' }],
    ['target', { targetId: 'm2' }],
    ['request id', { requestId: 'r' }],
    ['details', { details: { reason: 'abuse!' } }],
    ['previous hash', { prevHash: Buffer.alloc(32, 1) }],
  ])('changes when the %s changes', (_name, change) => {
    expect(auditEntryHash({ ...entry, ...change }).equals(auditEntryHash(entry))).toBe(false);
  });
});
