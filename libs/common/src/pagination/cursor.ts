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
  return new InputValidationError([
    { field, rule: 'cursor', message: `${field} must be a cursor that this list returned` },
  ]);
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
