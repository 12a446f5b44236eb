import { describe, expect, it } from 'vitest';
import {
  alertModified,
  alertObjects,
  FEDERATION_IDENTITY_ID,
  KEYED_TOKEN_EXTENSION_ID,
  sharedObjects,
  type AlertFacts,
  type StixObject,
} from './alert-objects.js';

const TOKEN = 'ab'.repeat(32);
const alert = (over: Partial<AlertFacts> = {}): AlertFacts => ({
  id: '6f1c3a52-7d0e-4b7a-9a53-2a2b1d0c9e11',
  status: 'OPEN',
  version: 3,
  type: 'PAYMENT_FINGERPRINT',
  keyEpoch: '2026-q4',
  token: TOKEN,
  externalRef: 'case-4711',
  otherHolderCount: 2,
  firstSeenAt: new Date('2026-11-30T10:00:00.000Z'),
  lastSeenAt: new Date('2026-12-01T11:00:00.000Z'),
  disclosedHolders: ['Lab North'],
  createdAt: new Date('2026-11-30T10:00:00.000Z'),
  updatedAt: new Date('2026-12-01T11:00:00.000Z'),
  ...over,
});

const ID = /^([a-z][a-z0-9-]+[a-z0-9])--[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** STIX 2.1 timestamp, here always at millisecond precision. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const COMMON = ['type', 'spec_version', 'id'];
const SDO = [...COMMON, 'created', 'modified'];
const REQUIRED: Record<string, string[]> = {
  indicator: [...SDO, 'pattern', 'pattern_type', 'valid_from'],
  sighting: [...SDO, 'sighting_of_ref'],
  identity: [...SDO, 'name'],
  'extension-definition': [...SDO, 'created_by_ref', 'name', 'schema', 'version', 'extension_types'],
  'x-sigfed-keyed-token': COMMON,
};
const TIMESTAMP_PROPERTIES = ['created', 'modified', 'valid_from', 'first_seen', 'last_seen'];

function checkObject(o: StixObject) {
  expect(o.spec_version).toBe('2.1');
  const [, type] = ID.exec(o.id) ?? [];
  expect(type, `${o.id} is type--uuid`).toBe(o.type);
  for (const p of REQUIRED[o.type] ?? ['unknown type']) expect(o, `${o.type}.${p}`).toHaveProperty(p);
  for (const p of TIMESTAMP_PROPERTIES) if (p in o) expect(o[p], `${o.type}.${p}`).toMatch(TIMESTAMP);
  if ('created' in o) expect(Date.parse(o.modified as string)).toBeGreaterThanOrEqual(Date.parse(o.created as string));
  for (const [p, v] of Object.entries(o)) {
    if (p !== 'id') expect(p, 'property names: a-z, 0-9, _ and 3 to 250 characters').toMatch(/^[a-z0-9_]{3,250}$/);
    if (p.endsWith('_ref')) expect(v).toMatch(ID);
    if (p.endsWith('_refs')) for (const r of v as string[]) expect(r).toMatch(ID);
  }
}

describe('STIX objects of an alert', () => {
  it('are valid STIX 2.1: id type--uuid, required properties, millisecond UTC timestamps, refs', () => {
    for (const o of [...alertObjects(alert()), ...sharedObjects()]) checkObject(o);
  });

  it('have the same ids across polls and versions, and ids that differ between alerts', () => {
    const ids = (a: AlertFacts) => alertObjects(a).map((o) => o.id);
    expect(ids(alert())).toEqual(ids(alert({ version: 9, otherHolderCount: 5 })));
    const other = ids(alert({ id: '0e2b6c1f-3a77-4f11-8a0c-5d4e3f2a1b00', token: 'cd'.repeat(32) }));
    expect(other.slice(0, 3)).not.toEqual(ids(alert()).slice(0, 3));
  });

  it("take modified from the alert's version: later versions are later, even within the hour", () => {
    const v3 = alertModified(alert());
    const v4 = alertModified(alert({ version: 4 }));
    expect(v4.getTime()).toBeGreaterThan(v3.getTime());
    expect(v3.toISOString()).toBe('2026-12-01T11:00:00.003Z');
    const [, indicator, sighting] = alertObjects(alert({ version: 4 }));
    expect(indicator.modified).toBe('2026-12-01T11:00:00.004Z');
    expect(sighting.modified).toBe(indicator.modified);
    expect(indicator.created).toBe('2026-11-30T10:00:00.000Z');
  });

  it('pattern the keyed token observable, never file:hashes or ipv4-addr', () => {
    const [token, indicator] = alertObjects(alert({ type: 'IP_RANGE' }));
    expect(indicator.pattern).toBe(
      `[x-sigfed-keyed-token:token = '${TOKEN}' AND x-sigfed-keyed-token:token_kind = 'IP_RANGE' AND x-sigfed-keyed-token:key_epoch = '2026-q4']`,
    );
    expect(indicator.pattern).not.toMatch(/file:hashes|ipv4-addr|ipv6-addr/);
    expect(token).toMatchObject({ type: 'x-sigfed-keyed-token', token: TOKEN, token_kind: 'IP_RANGE', scheme: 'hmac-sha256' });
    expect(token.extensions).toEqual({ [KEYED_TOKEN_EXTENSION_ID]: { extension_type: 'new-sco' } });
  });

  it('escape quotes and backslashes in pattern literals', () => {
    const [, indicator] = alertObjects(alert({ keyEpoch: "it's\\x" }));
    expect(indicator.pattern).toContain("key_epoch = 'it\\'s\\\\x'");
  });

  it('carry the sighting: other holders count, first and last seen to the hour, the federation and disclosed holders', () => {
    const [, indicator, sighting, holder] = alertObjects(alert());
    expect(sighting).toMatchObject({
      sighting_of_ref: indicator.id,
      count: 2,
      first_seen: '2026-11-30T10:00:00.000Z',
      last_seen: '2026-12-01T11:00:00.000Z',
      where_sighted_refs: [FEDERATION_IDENTITY_ID, holder.id],
    });
    expect(holder).toMatchObject({ type: 'identity', name: 'Lab North', identity_class: 'organization' });
    expect(alertObjects(alert({ disclosedHolders: [] }))).toHaveLength(3);
  });

  it("put the member's externalRef in its own indicator only, never in the shared token observable", () => {
    const [token, indicator, sighting] = alertObjects(alert());
    expect(indicator.external_references).toEqual([{ source_name: 'sigfed-member-reference', external_id: 'case-4711' }]);
    expect(JSON.stringify(token)).not.toContain('case-4711');
    expect(JSON.stringify(sighting)).not.toContain('case-4711');
    expect(alertObjects(alert({ externalRef: null }))[1]).not.toHaveProperty('external_references');
  });

  it('give the extension definition and the federation fixed ids', () => {
    // Published in docs/stix-taxii.md: importers key their handling of the observable on these.
    expect(KEYED_TOKEN_EXTENSION_ID).toBe('extension-definition--6d194465-df56-5c8f-8c6a-46bd34b8f4d3');
    expect(FEDERATION_IDENTITY_ID).toBe('identity--20d80f56-edb9-55ec-a21a-f22c59428230');
    const [identity, extension] = sharedObjects();
    expect(extension).toMatchObject({ extension_types: ['new-sco'], created_by_ref: identity.id, name: 'x-sigfed-keyed-token' });
  });
});
