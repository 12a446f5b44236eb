import { Kind, parseValue } from 'graphql';
import { describe, expect, it } from 'vitest';
import { JSONObjectScalar } from './json-object.scalar.js';

const nested = (depth: number): Record<string, unknown> => {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
};

describe('JSONObjectScalar', () => {
  const scalar = new JSONObjectScalar();

  it('accepts objects up to 32 levels deep, as variables and as literals', () => {
    expect(scalar.parseValue(nested(32))).toEqual(nested(32));
    expect(scalar.parseLiteral(parseValue('{ a: { b: [1, { c: "d" }] } }'))).toEqual({ a: { b: [1, { c: 'd' }] } });
  });

  it('refuses deeper values, however deep, without overflowing the stack', () => {
    for (const depth of [33, 200_000])
      expect(() => scalar.parseValue(nested(depth))).toThrow('JSONObject must not nest deeper than 32 levels');
    const literal = parseValue(`${'{ a: '.repeat(40)}1${' }'.repeat(40)}`);
    expect(() => scalar.parseLiteral(literal)).toThrow('JSONObject must not nest deeper than 32 levels');
  });

  it('refuses arrays and scalars', () => {
    for (const value of [[], 'x', 1, null]) expect(() => scalar.parseValue(value)).toThrow('JSONObject must be a JSON object');
    expect(() => scalar.parseLiteral({ kind: Kind.STRING, value: 'x' })).toThrow(TypeError);
  });
});
