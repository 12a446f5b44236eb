import { describe, expect, it } from 'vitest';
import { hashTag } from './rate-limit.service.js';

describe('hashTag (what Redis Cluster hashes a key by)', () => {
  it('takes the first non-empty {...}, else the whole key, as Redis does', () => {
    expect(hashTag('rl:q:{m1}')).toBe('m1');
    expect(hashTag('a{b}c{d}')).toBe('b');
    expect(hashTag('a{}b{c}')).toBe('a{}b{c}');
    expect(hashTag('a{b')).toBe('a{b');
    expect(hashTag('plain')).toBe('plain');
  });
});
