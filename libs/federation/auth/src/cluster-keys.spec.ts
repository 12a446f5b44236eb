import { describe, expect, it } from 'vitest';
import { hashTag } from '@app/rate-limit';
import { MemberStateCache } from './member-state.cache.js';

describe('Redis Cluster keys of the request budget', () => {
  it('puts the budget and the member change counter the charge script reads in one slot', () => {
    const member = '6f1c2a4e-0000-4000-8000-000000000001';
    expect(hashTag(`q:{${member}}`)).toBe(hashTag(MemberStateCache.epochKey(member)));
    expect(hashTag(MemberStateCache.epochKey(member))).toBe(member);
  });
});
