import { describe, expect, it } from 'vitest';
import { FederationKeyError } from '../errors.js';
import { TEST_FEDERATION_KEY_HEX } from '../federation-key.js';
import { hashIndicator } from '../indicator.js';
import { hashAndBuild, type RawIndicatorRow } from './hash-and-build.js';
import { readIndicatorCsv } from './indicator-csv.js';
import { CsvSyntaxError } from './csv.js';

const KEY = TEST_FEDERATION_KEY_HEX;
const NOW = new Date('2026-12-01T12:00:00Z');
const build = (rows: RawIndicatorRow[]) => hashAndBuild(KEY, '2026-q4', rows, { now: NOW });

describe('hashAndBuild', () => {
  it('turns each row into one indicator per canonical form, with the published tokens', () => {
    const { indicators, refused, rowsUsed } = build([
      { type: 'IP_RANGE', value: '203.0.112.0/23' },
      { type: 'PAYMENT_FINGERPRINT', value: '5500 0000 0000 0004|7/29' },
      { type: 'ACCOUNT_SIGNAL', value: 'Example.COM' },
    ]);
    expect(refused).toEqual([]);
    expect(rowsUsed).toBe(3);
    expect(indicators).toEqual([
      { type: 'IP_RANGE', keyEpoch: '2026-q4', token: hashIndicator(KEY, 'IP_RANGE', '203.0.112.0/24')[0].token },
      { type: 'IP_RANGE', keyEpoch: '2026-q4', token: 'be74cf44de479e8b11b7d49eb126bb67a937fa9fcf38192bfc715496844ff857' },
      { type: 'PAYMENT_FINGERPRINT', keyEpoch: '2026-q4', token: 'f31af54a330ab0cde4fffcc044acbcccf533d6f07f6031d1be00e9ce67e96ad5' },
      { type: 'PAYMENT_FINGERPRINT', keyEpoch: '2026-q4', token: 'f84697547d3abe67d1c117048a31cf9e335b076145a444de36e61ccfa355d07e' },
      { type: 'ACCOUNT_SIGNAL', keyEpoch: '2026-q4', token: 'f10418d6ff3462999170de699be3d8f3668d368709a10d72e197d39011a45c13' },
    ]);
  });

  it('copies normalized metadata onto every indicator of the row', () => {
    const { indicators } = build([
      {
        type: ' ip_range ',
        value: '203.0.112.0/23',
        observedAt: '2026-11-30',
        expiresAt: '2027-01-01T00:00:00+01:00',
        confidence: '80',
        externalRef: 'case 17, "urgent"',
        discloseIdentity: 'Yes',
      },
    ]);
    expect(indicators).toHaveLength(2);
    for (const item of indicators) {
      expect(item).toMatchObject({
        type: 'IP_RANGE',
        observedAt: '2026-11-30T00:00:00.000Z',
        expiresAt: '2026-12-31T23:00:00.000Z',
        confidence: 80,
        externalRef: 'case 17, "urgent"',
        discloseIdentity: true,
      });
    }
  });

  it('reports every bad row with its line and rule and keeps the good ones', () => {
    const { indicators, refused, rowsUsed } = build([
      { line: 2, type: 'IP_RANGE', value: '010.0.0.1' },
      { line: 3, type: 'ACCOUNT_SIGNAL', value: 'example.com' },
      { line: 4, type: 'EMAIL', value: 'a@b.c' },
      { line: 5, type: 'PAYMENT_FINGERPRINT', value: '4111 1111 1111 1112' },
      { line: 6, type: 'ACCOUNT_SIGNAL', value: 'x', confidence: 101 },
      { line: 7, type: 'ACCOUNT_SIGNAL', value: 'x', confidence: '5.5' },
      { line: 8, type: 'ACCOUNT_SIGNAL', value: 'x', observedAt: '2026-11-30T10:00:00' },
      { line: 9, type: 'ACCOUNT_SIGNAL', value: 'x', observedAt: '2026-12-01T12:10:00Z' },
      { line: 10, type: 'ACCOUNT_SIGNAL', value: 'x', expiresAt: '2026-02-30' },
      { line: 11, type: 'ACCOUNT_SIGNAL', value: 'x', expiresAt: '2026-11-01' },
      { line: 12, type: 'ACCOUNT_SIGNAL', value: 'x', expiresAt: '2029-01-01' },
      { line: 13, type: 'ACCOUNT_SIGNAL', value: 'x', externalRef: 'a\u0000b' },
      { line: 14, type: 'ACCOUNT_SIGNAL', value: 'x', discloseIdentity: 'maybe' },
      { line: 15, type: 'IP_RANGE', value: { pan: '4111111111111111' } },
    ]);
    expect(rowsUsed).toBe(1);
    expect(indicators).toHaveLength(1);
    expect(refused.map(({ line, rule }) => [line, rule])).toEqual([
      [2, 'ip.ipv4-leading-zero'],
      [4, 'row.type'],
      [5, 'pf.pan-luhn'],
      [6, 'row.confidence'],
      [7, 'row.confidence'],
      [8, 'row.observed-at'],
      [9, 'row.observed-at'],
      [10, 'row.expires-at'],
      [11, 'row.expires-at'],
      [12, 'row.expires-at'],
      [13, 'row.external-ref'],
      [14, 'row.disclose-identity'],
      [15, 'input.not-string'],
    ]);
    expect(refused[0]).toEqual({
      index: 0,
      line: 2,
      rule: 'ip.ipv4-leading-zero',
      message: expect.stringMatching(/^IP_RANGE refused by rule ip\.ipv4-leading-zero: /),
    });
    expect(refused[1].message).toMatch(/^row refused by rule row\.type: unknown indicator type "EMAIL" \(expected PAYMENT_FINGERPRINT, /);
    expect(refused[3].message).toBe('ACCOUNT_SIGNAL refused by rule row.confidence: confidence must be an integer from 0 to 100, got 101');
  });

  it('refuses a bad key or epoch outright, since no row could succeed', () => {
    expect(() => hashAndBuild('00', '2026-q4', [])).toThrow(FederationKeyError);
    expect(() => hashAndBuild(KEY, '2026 Q4', [])).toThrow(/key epoch "2026 Q4"/);
  });
});

describe('readIndicatorCsv', () => {
  it('maps header columns in any order and case, skips empty optional cells, and keeps line numbers', () => {
    const csv =
      'Value,TYPE,confidence,external_ref\r\n"203.0.113.9",IP_RANGE,,\r\n"Write ""this"",\nthen that",PROMPT_TEMPLATE, 70 , ref 1 \r\n';
    const { rows, refused, rowsRead } = readIndicatorCsv(csv);
    expect(refused).toEqual([]);
    expect(rowsRead).toBe(2);
    expect(rows).toEqual([
      { line: 2, type: 'IP_RANGE', value: '203.0.113.9' },
      { line: 3, type: 'PROMPT_TEMPLATE', value: 'Write "this",\nthen that', confidence: '70', externalRef: 'ref 1' },
    ]);
  });

  it('refuses a record with the wrong number of fields on its own', () => {
    const { rows, refused, rowsRead } = readIndicatorCsv('type,value\nIP_RANGE,1.2.3.4,extra\nIP_RANGE,1.2.3.5\n');
    expect(rowsRead).toBe(2);
    expect(rows).toHaveLength(1);
    expect(refused).toEqual([
      {
        index: 0,
        line: 2,
        rule: 'csv.field-count',
        message: 'row refused by rule csv.field-count: expected 2 fields as in the header, got 3',
      },
    ]);
  });

  it('refuses a file without a usable header', () => {
    expect(() => readIndicatorCsv('')).toThrow(CsvSyntaxError);
    expect(() => readIndicatorCsv('type\nIP_RANGE\n')).toThrow('line 1: the header has no "value" column');
    expect(() => readIndicatorCsv('type,value,observed-at\n')).toThrow(/unknown column "observed-at"/);
    expect(() => readIndicatorCsv('type,value,Type\n')).toThrow(/column "type" appears twice/);
  });
});
