import { badParameter } from './taxii.error.js';

/** Objects per page when the client sends no `limit`, and the most the server returns in one page. */
export const TAXII_PAGE = { default: 100, max: 1000 } as const;

/** What one paged TAXII request asks for (section 3.4 URL parameters, already checked). */
export interface TaxiiQuery {
  /** `added_after`, as sent (a STIX timestamp: Postgres compares it at full precision). */
  addedAfter?: string;
  /** `limit`, capped at TAXII_PAGE.max. */
  limit: number;
  /** The date_added the previous page ended at (decoded `next`). */
  after?: string;
  ids?: string[];
  types?: string[];
  /** Specific versions asked for; undefined when `last`, `first` or `all` is among them (one version is kept per object). */
  versions?: string[];
  /** False when `match[spec_version]` names no version the server holds (2.1). */
  specVersionMatches: boolean;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const STIX_ID = /^[a-z][a-z0-9-]*[a-z0-9]--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STIX_TYPE = /^[a-z][a-z0-9-]*[a-z0-9]$/;
const NEXT_PREFIX = 'd1:';

/** The opaque `next` of a page that ended at this date_added. */
export function encodeNext(dateAdded: string): string {
  return Buffer.from(`${NEXT_PREFIX}${dateAdded}`, 'utf8').toString('base64url');
}

function decodeNext(value: string): string {
  const text = Buffer.from(value, 'base64url').toString('utf8');
  const date = text.startsWith(NEXT_PREFIX) ? text.slice(NEXT_PREFIX.length) : '';
  if (!TIMESTAMP.test(date) || Number.isNaN(Date.parse(date))) throw badParameter('next', 'must be a value a previous page returned');
  return date;
}

function timestamp(name: string, value: string): string {
  if (!TIMESTAMP.test(value) || Number.isNaN(Date.parse(value))) {
    throw badParameter(name, 'must be a STIX timestamp in UTC, such as 2026-12-01T10:00:00.000Z');
  }
  return value;
}

function list(name: string, value: string, pattern: RegExp, rule: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.length > 100) throw badParameter(name, 'at most 100 values');
  for (const item of items) if (!pattern.test(item)) throw badParameter(name, rule);
  return items;
}

function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badParameter(name, 'may be given once');
  return value;
}

/** Objects per page a request asks for (the rate-limit cost is charged on it before the handler runs). */
export function pageLimitOf(query: Record<string, unknown>): number {
  const value = single(query, 'limit');
  if (value === undefined || value === '') return TAXII_PAGE.default;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw badParameter('limit', 'must be a whole number of at least 1');
  return Math.min(Number(value), TAXII_PAGE.max);
}

/**
 * Checks a paged request's URL parameters. `allowed` lists the match[...]
 * filters the endpoint takes (section 5); any other parameter is refused by
 * name, so a misspelt filter never silently returns everything.
 */
export function parseQuery(query: Record<string, unknown>, allowed: readonly ('id' | 'type' | 'version' | 'spec_version')[]): TaxiiQuery {
  const known = new Set(['added_after', 'limit', 'next', ...allowed.map((m) => `match[${m}]`)]);
  for (const name of Object.keys(query)) {
    if (!known.has(name)) throw badParameter(name, `is not a parameter of this endpoint (it takes ${[...known].join(', ')})`);
  }
  const addedAfter = single(query, 'added_after');
  const next = single(query, 'next');
  const ids = single(query, 'match[id]');
  const types = single(query, 'match[type]');
  const versions = single(query, 'match[version]');
  const specVersions = single(query, 'match[spec_version]');
  const versionList = versions === undefined ? undefined : versions.split(',').map((s) => s.trim());
  const specificVersions = versionList?.some((v) => v === 'last' || v === 'first' || v === 'all')
    ? undefined
    : versionList?.map((v) => timestamp('match[version]', v));
  return {
    addedAfter: addedAfter === undefined ? undefined : timestamp('added_after', addedAfter),
    limit: pageLimitOf(query),
    after: next ? decodeNext(next) : undefined,
    ids: ids === undefined ? undefined : list('match[id]', ids, STIX_ID, 'must be STIX ids (type--uuid), comma-separated'),
    types: types === undefined ? undefined : list('match[type]', types, STIX_TYPE, 'must be STIX object types, comma-separated'),
    versions: specificVersions,
    specVersionMatches:
      specVersions === undefined ||
      list('match[spec_version]', specVersions, /^\d\.\d$/, 'must be spec versions such as 2.1, comma-separated').includes('2.1'),
  };
}
