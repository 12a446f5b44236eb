import { describe, expect, it } from 'vitest';
import { uuidV5 } from './uuid-v5.js';

describe('uuidV5', () => {
  it('gives the RFC 9562 example (DNS namespace, www.example.com)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('gives the deterministic SCO id STIX 2.1 defines (namespace 00abedb4-…), as stix2 computes it', () => {
    // The id the stix2 library gives EmailAddress(value='john@example.com').
    expect(uuidV5('{"value":"john@example.com"}', '00abedb4-aa42-466c-9c01-fed23315a9b7')).toBe('7165e2a9-671f-585d-b1e1-ca59c671d934');
  });

  it('refuses a namespace that is not a UUID', () => {
    expect(() => uuidV5('x', 'not-a-uuid')).toThrow(/namespace/);
  });
});
