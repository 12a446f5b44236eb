import { describe, expect, it } from 'vitest';
import { InputValidationError } from '../errors/input-validation.error.js';
import { toConnection } from './connection.factory.js';
import { decodeCursor, encodeCursor, isTimestampKey } from './cursor.js';

describe('cursors', () => {
  it('round-trip opaque keys of the list that issued them', () => {
    const cursor = encodeCursor('members', ['2026-11-26T00:00:00Z', 42]);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor('members', cursor, ['string', 'number'] as const)).toEqual(['2026-11-26T00:00:00Z', 42]);
  });

  it.each([
    ['another list’s cursor', encodeCursor('audit', ['1'])],
    ['a key of the wrong shape', encodeCursor('members', [1])],
    ['a key of the wrong length', encodeCursor('members', ['a', 'b'])],
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('{').toString('base64url')],
    ['empty', ''],
  ])('refuse %s, naming the argument', (_name, cursor) => {
    let error: unknown;
    try {
      decodeCursor('members', cursor, ['string'] as const, 'after');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputValidationError);
    expect((error as InputValidationError).problems).toEqual([
      { field: 'after', rule: 'cursor', message: 'after must be a cursor that this list returned' },
    ]);
  });
});

describe('toConnection', () => {
  it('uses the extra row only to tell that a next page exists', () => {
    const page = toConnection(
      [1, 2, 3],
      2,
      (n) => `c${n}`,
      (n) => ({ n }),
    );
    expect(page).toEqual({
      edges: [
        { cursor: 'c1', node: { n: 1 } },
        { cursor: 'c2', node: { n: 2 } },
      ],
      pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: 'c1', endCursor: 'c2' },
    });
    expect(toConnection([], 2, String).pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: null,
      endCursor: null,
    });
  });
});

describe('isTimestampKey', () => {
  it.each([
    '2026-11-26 22:35:06.123456+00',
    '2026-11-26 22:35:06+00',
    '2026-11-26 22:35:06.1-05:30',
    '0001-01-01 00:00:00+00',
    '2024-02-29 23:59:59+14',
  ])('accepts what created_at::text writes: %s', (value) => expect(isTimestampKey(value)).toBe(true));

  it.each([
    '1',
    '2026-11-26',
    '2026-11-26T22:35:06Z',
    '2026-02-30 00:00:00+00',
    '0000-01-01 00:00:00+00',
    '2026-11-26 24:00:00+00',
    '+275760-09-13 00:00:00+00',
    'Tue Mar 01 2022',
  ])('refuses what PostgreSQL would not read back: %s', (value) => expect(isTimestampKey(value)).toBe(false));
});
