import { InputValidationError } from '../errors/input-validation.error.js';

/** One key of a keyset position: the values of the sort columns of a row. */
export type CursorKey = string | number;

/**
 * An opaque cursor: base64url of a JSON array whose first element names the
 * list (so a member cursor cannot be replayed against the audit log) and
 * whose rest is the row's sort key.
 */
export function encodeCursor(list: string, key: readonly CursorKey[]): string {
  return Buffer.from(JSON.stringify([list, ...key]), 'utf8').toString('base64url');
}

/** The BAD_USER_INPUT error for a cursor this list did not issue; `field` is the argument's name. */
export function invalidCursor(field = 'after'): InputValidationError {
  return new InputValidationError([{ field, rule: 'cursor', message: `${field} must be a cursor that this list returned` }]);
}

/**
 * Reads a cursor of `list` whose key has the given element types, or throws
 * BAD_USER_INPUT naming `field` (the argument, `after` by default).
 */
export function decodeCursor<const T extends readonly ('string' | 'number')[]>(
  list: string,
  cursor: string,
  types: T,
  field = 'after',
): { [I in keyof T]: T[I] extends 'number' ? number : string } {
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) throw invalidCursor(field);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor(field);
  }
  if (!Array.isArray(parsed) || parsed.length !== types.length + 1 || parsed[0] !== list) throw invalidCursor(field);
  const key = parsed.slice(1);
  key.forEach((value, i) => {
    if (typeof value !== types[i] || (typeof value === 'number' && !Number.isFinite(value))) throw invalidCursor(field);
  });
  return key as { [I in keyof T]: T[I] extends 'number' ? number : string };
}

/** PostgreSQL's text form of a timestamptz, as `created_at::text` writes it into cursors. */
const TIMESTAMP_KEY = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?[+-](\d{2})(?::(\d{2}))?(?::(\d{2}))?$/;

/**
 * Whether a cursor's time key is a timestamp PostgreSQL reads back: the
 * form `created_at::text` produces, every field in range. (`Date.parse`
 * accepts far more than PostgreSQL does; what it let through failed in
 * the query as an internal error.)
 */
export function isTimestampKey(value: string): boolean {
  const m = TIMESTAMP_KEY.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const calendar = new Date(Date.UTC(year, month - 1, day));
  return (
    year >= 1 &&
    calendar.getUTCMonth() === month - 1 &&
    calendar.getUTCDate() === day &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    Number(m[8]) <= 15 &&
    Number(m[9] ?? 0) <= 59 &&
    Number(m[10] ?? 0) <= 59
  );
}
