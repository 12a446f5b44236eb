import { Scalar, type CustomScalar } from '@nestjs/graphql';
import { Kind, type ValueNode } from 'graphql';

/** RFC 3339 date-time: date, `T`, time with optional fraction, and `Z` or an offset. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;
const RULE = 'DateTime must be an RFC 3339 date-time between years 0001 and 9999, such as 2026-11-26T09:54:33Z';

/**
 * The last string parsed and its instant: a bulk submission usually carries
 * the same observedAt on thousands of items, and parsing was a visible part
 * of its cost. Each call still returns a Date of its own.
 */
let last: { text: string; ms: number } | undefined;

/**
 * Instants serialized lately and their text: a page of 20 alerts shows 80
 * times that repeat a few hours, interleaved, so the last instant alone
 * would rarely match. Emptied when full, so timestamps that never repeat
 * cost only a lookup.
 */
const shown = new Map<number, string>();
const SHOWN_MAX = 256;

/** The instant `value` names, or a TypeError (graphql-js reports it with the variable's path). */
function parse(value: unknown): Date {
  if (last !== undefined && value === last.text) return new Date(last.ms);
  const m = typeof value === 'string' ? RFC3339.exec(value) : null;
  if (!m) throw new TypeError(RULE);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const [offsetHours, offsetMinutes] = [Number(m[9] ?? 0), Number(m[10] ?? 0)];
  // Every field in range, the day included (no 30 February): the calendar date must survive Date.UTC.
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (
    year < 1 ||
    calendar.getUTCMonth() !== month - 1 ||
    calendar.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    offsetHours > 23 ||
    offsetMinutes > 59
  ) {
    throw new TypeError(RULE);
  }
  const date = new Date(value as string);
  if (Number.isNaN(date.getTime())) throw new TypeError(RULE);
  last = { text: value as string, ms: date.getTime() };
  return date;
}

/**
 * The DateTime scalar for every `Date` field, in place of the built-in one,
 * which turned any input into `new Date(input)`: invalid dates and years
 * PostgreSQL cannot hold reached the database and failed there as internal
 * errors. Input must be an RFC 3339 date-time (years 0001-9999); output is
 * ISO 8601 in UTC, as before. Register the class once as a provider of the
 * API module.
 */
@Scalar('DateTime', () => Date)
export class DateTimeScalar implements CustomScalar<string | null, Date> {
  description = 'A date-time string at UTC, such as 2019-12-03T09:54:33Z, compliant with the date-time format.';

  parseValue(value: unknown): Date {
    return parse(value);
  }

  serialize(value: unknown): string | null {
    if (!(value instanceof Date)) return null;
    const ms = value.getTime();
    let text = shown.get(ms);
    if (text === undefined) {
      // An invalid Date throws here (RangeError), before anything is kept.
      text = value.toISOString();
      if (shown.size >= SHOWN_MAX) shown.clear();
      shown.set(ms, text);
    }
    return text;
  }

  parseLiteral(node: ValueNode): Date {
    if (node.kind !== Kind.STRING) throw new TypeError(RULE);
    return parse(node.value);
  }
}
