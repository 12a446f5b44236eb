import { describe, expect, it } from 'vitest';
import { acceptsTaxii, isTaxiiContent } from './media-type.js';

describe('TAXII media types', () => {
  it('accept application/taxii+json with version 2.1 or none, wildcards, and no Accept at all', () => {
    for (const ok of [
      'application/taxii+json;version=2.1',
      'application/taxii+json; version=2.1',
      'application/taxii+json',
      '*/*',
      'application/*',
      'text/html, application/taxii+json;version=2.1;q=0.5',
      undefined,
    ]) {
      expect(acceptsTaxii(ok), String(ok)).toBe(true);
    }
  });

  it('refuse other types, other versions and q=0', () => {
    for (const bad of [
      'application/json',
      'application/taxii+json;version=2.0',
      'application/stix+json;version=2.1',
      'application/taxii+json;q=0',
    ]) {
      expect(acceptsTaxii(bad), bad).toBe(false);
    }
  });

  it('recognise the TAXII 2.1 content type of a write', () => {
    expect(isTaxiiContent('application/taxii+json;version=2.1')).toBe(true);
    expect(isTaxiiContent('application/json')).toBe(false);
    expect(isTaxiiContent(undefined)).toBe(false);
  });
});
