import { Kind } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DateTimeScalar } from './date-time.scalar.js';

describe('DateTimeScalar', () => {
  const scalar = new DateTimeScalar();

  it.each([
    ['2026-11-26T09:54:33Z', '2026-11-26T09:54:33.000Z'],
    ['2026-11-26T09:54:33.123456789Z', '2026-11-26T09:54:33.123Z'],
    ['2026-11-26t09:54:33z', '2026-11-26T09:54:33.000Z'],
    ['2026-11-26T23:00:00+14:00', '2026-11-26T09:00:00.000Z'],
    ['2024-02-29T00:00:00-05:30', '2024-02-29T05:30:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
  ])('reads %s', (input, iso) => {
    expect(scalar.parseValue(input).toISOString()).toBe(iso);
    expect(scalar.parseLiteral({ kind: Kind.STRING, value: input }).toISOString()).toBe(iso);
  });

  it.each([
    'yesterday',
    '',
    '2026-11-26',
    '2026-11-26 09:54:33Z',
    '2026-11-26T09:54:33',
    '2026-02-30T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-11-26T24:00:00Z',
    '2026-11-26T09:60:00Z',
    '2026-11-26T09:54:33+24:00',
    '0000-01-01T00:00:00Z',
    '-000001-01-01T00:00:00.000Z',
    '+275760-09-13T00:00:00.000Z',
    '10000-01-01T00:00:00Z',
  ])('refuses %j, saying the rule', (input) => {
    expect(() => scalar.parseValue(input)).toThrow(/RFC 3339 date-time between years 0001 and 9999/);
  });

  it('refuses what is not a string', () => {
    for (const value of [0, 1795732585508, true, null, {}, [], new Date()]) expect(() => scalar.parseValue(value)).toThrow(TypeError);
    expect(() => scalar.parseLiteral({ kind: Kind.INT, value: '0' })).toThrow(TypeError);
  });

  it('writes ISO 8601 in UTC', () => {
    expect(scalar.serialize(new Date('2026-11-26T09:54:33Z'))).toBe('2026-11-26T09:54:33.000Z');
  });

  it('writes each instant of a run of repeated and alternating ones as itself, and refuses an invalid Date', () => {
    const instants = ['2026-11-26T09:00:00.000Z', '2026-11-26T09:00:00.000Z', '2026-11-26T10:00:00.000Z', '2026-11-26T09:00:00.000Z'];
    expect(instants.map((text) => scalar.serialize(new Date(text)))).toEqual(instants);
    expect(() => scalar.serialize(new Date(Number.NaN))).toThrow(RangeError);
    expect(scalar.serialize('2026-11-26T09:00:00.000Z')).toBeNull();
  });

  it('writes every instant as itself past the number it keeps, interleaved and repeated', () => {
    const hours = Array.from({ length: 600 }, (_, i) => new Date(Date.UTC(2026, 0, 1, i)));
    const order = [...hours, ...hours.slice(0, 300).reverse(), ...hours.filter((_, i) => i % 7 === 0), ...hours];
    expect(order.map((date) => scalar.serialize(new Date(date.getTime())))).toEqual(order.map((date) => date.toISOString()));
  });
});
