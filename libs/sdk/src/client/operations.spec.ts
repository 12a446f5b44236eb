import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  ALERTS,
  EVALUATE_BLINDED,
  OPRF_KEYS,
  RETRACT_INDICATORS,
  RETRACT_TEMPLATE_SIGNATURES,
  SERVER_INFO,
  SUBMIT_INDICATORS,
  SUBMIT_TEMPLATE_SIGNATURES,
} from './operations.js';

// The server commits its generated schema (schema.gql), so a server change that would break
// the client's documents fails here, in the same review.
const schema = buildSchema(readFileSync(fileURLToPath(new URL('../../../../schema.gql', import.meta.url)), 'utf8'));

describe('client documents', () => {
  it.each([
    ['SUBMIT_INDICATORS', SUBMIT_INDICATORS],
    ['RETRACT_INDICATORS', RETRACT_INDICATORS],
    ['ALERTS', ALERTS],
    ['SERVER_INFO', SERVER_INFO],
    ['OPRF_KEYS', OPRF_KEYS],
    ['EVALUATE_BLINDED', EVALUATE_BLINDED],
    ['SUBMIT_TEMPLATE_SIGNATURES', SUBMIT_TEMPLATE_SIGNATURES],
    ['RETRACT_TEMPLATE_SIGNATURES', RETRACT_TEMPLATE_SIGNATURES],
  ])('%s is valid against the committed schema.gql', (_name, document) => {
    expect(validate(schema, parse(document)).map((error) => error.message)).toEqual([]);
  });

  it('knows every field of IndicatorInput the server accepts', () => {
    const fields = Object.keys((schema.getType('IndicatorInput') as unknown as { getFields(): object }).getFields()).sort();
    // Mirrors the IndicatorInput interface in operations.ts; a new server field needs a client field.
    expect(fields).toEqual(['confidence', 'discloseIdentity', 'expiresAt', 'externalRef', 'keyEpoch', 'observedAt', 'token', 'type']);
  });

  it('knows every field of TemplateSignatureInput the server accepts', () => {
    const fields = Object.keys((schema.getType('TemplateSignatureInput') as unknown as { getFields(): object }).getFields()).sort();
    // Mirrors the TemplateSignatureInput interface in operations.ts.
    expect(fields).toEqual(['bands', 'confidence', 'discloseIdentity', 'expiresAt', 'externalRef', 'keyEpoch', 'observedAt']);
  });
});
