import type { Alert } from '@app/alerts';
import { uuidV5 } from './uuid-v5.js';

/** Sigfed's own UUIDv5 namespace: every id it derives (indicators, sightings, identities) comes from it. */
export const SIGFED_NAMESPACE = '4c7fdac2-dd9a-4b72-ad64-dbf4edd58b09';
/** The namespace STIX 2.1 fixes for deterministic ids of cyber-observable objects. */
export const STIX_SCO_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';

export const KEYED_TOKEN_TYPE = 'x-sigfed-keyed-token';
/** The only keyed-token scheme so far: HMAC-SHA256 under the federation key (docs/canonicalization.md). */
export const KEYED_TOKEN_SCHEME = 'hmac-sha256';

/** created/modified of the objects that never change (the federation, the extension definition). */
const FIXED_TIME = '2026-12-01T00:00:00.000Z';

/** A STIX 2.1 object as JSON. */
export type StixObject = { type: string; id: string; spec_version: '2.1' } & Record<string, unknown>;

/** The facts of an alert the objects carry: what the alert shows its member, nothing more. */
export type AlertFacts = Pick<
  Alert,
  | 'id'
  | 'status'
  | 'version'
  | 'type'
  | 'keyEpoch'
  | 'token'
  | 'externalRef'
  | 'otherHolderCount'
  | 'firstSeenAt'
  | 'lastSeenAt'
  | 'disclosedHolders'
  | 'createdAt'
  | 'updatedAt'
>;

/** `type--uuid`, the UUID derived from `name` in Sigfed's namespace. */
export function sigfedId(type: string, name: string): string {
  return `${type}--${uuidV5(name, SIGFED_NAMESPACE)}`;
}

/** A STIX timestamp: UTC, millisecond precision, `Z`. */
export function stixTime(time: Date): string {
  return time.toISOString();
}

export const FEDERATION_IDENTITY_ID = sigfedId('identity', 'sigfed:federation');
export const KEYED_TOKEN_EXTENSION_ID = sigfedId('extension-definition', `sigfed:${KEYED_TOKEN_TYPE}`);

/** The federation as the creator of every object Sigfed serves. */
export function federationIdentity(): StixObject {
  return {
    type: 'identity',
    spec_version: '2.1',
    id: FEDERATION_IDENTITY_ID,
    created: FIXED_TIME,
    modified: FIXED_TIME,
    name: 'Sigfed federation',
    description: 'The federation that matched the keyed tokens its members submitted.',
    identity_class: 'group',
  };
}

/** The `new-sco` extension that defines the keyed token observable. */
export function keyedTokenExtension(): StixObject {
  return {
    type: 'extension-definition',
    spec_version: '2.1',
    id: KEYED_TOKEN_EXTENSION_ID,
    created_by_ref: FEDERATION_IDENTITY_ID,
    created: FIXED_TIME,
    modified: FIXED_TIME,
    name: KEYED_TOKEN_TYPE,
    description:
      'A keyed token: the HMAC of a canonicalized value under the federation key, never the raw value. ' +
      'Properties: token (64 lowercase hex), token_kind (PAYMENT_FINGERPRINT, IP_RANGE, PROMPT_TEMPLATE or ACCOUNT_SIGNAL), ' +
      'key_epoch (the federation key it was made with), scheme (hmac-sha256).',
    schema:
      'x-sigfed-keyed-token: token (string, 64 lowercase hex, required), token_kind (string, required), ' +
      'key_epoch (string, required), scheme (string, required). Id contributing properties: all four. ' +
      'See docs/stix-taxii.md of Sigfed.',
    version: '1.0.0',
    extension_types: ['new-sco'],
  };
}

/** The objects every collection holds whatever its alerts: the federation and the extension definition. */
export function sharedObjects(): StixObject[] {
  return [federationIdentity(), keyedTokenExtension()];
}

/**
 * The version time of an alert's indicator and sighting: the hour the alert
 * shows as updatedAt, plus its version in milliseconds. Later versions get
 * later times (the hour never goes back and the version always grows), and
 * the time says nothing the alert does not.
 */
export function alertModified(alert: Pick<AlertFacts, 'version' | 'createdAt' | 'updatedAt'>): Date {
  const hour = Math.max(alert.updatedAt.getTime(), alert.createdAt.getTime());
  return new Date(hour + alert.version);
}

/** A string literal of a STIX pattern. */
function literal(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** The keyed token observable of an alert: its id depends only on the token, as STIX's deterministic SCO ids do. */
export function keyedToken(alert: Pick<AlertFacts, 'type' | 'keyEpoch' | 'token'>): StixObject {
  const contributing = { key_epoch: alert.keyEpoch, scheme: KEYED_TOKEN_SCHEME, token: alert.token, token_kind: alert.type };
  return {
    type: KEYED_TOKEN_TYPE,
    spec_version: '2.1',
    id: `${KEYED_TOKEN_TYPE}--${uuidV5(JSON.stringify(contributing), STIX_SCO_NAMESPACE)}`,
    token: alert.token,
    token_kind: alert.type,
    key_epoch: alert.keyEpoch,
    scheme: KEYED_TOKEN_SCHEME,
    extensions: { [KEYED_TOKEN_EXTENSION_ID]: { extension_type: 'new-sco' } },
  };
}

export const indicatorIdOf = (alertId: string) => sigfedId('indicator', `sigfed:alert:${alertId}`);
export const sightingIdOf = (alertId: string) => sigfedId('sighting', `sigfed:alert:${alertId}:sighting`);
export const holderIdentityIdOf = (name: string) => sigfedId('identity', `sigfed:member:${name}`);

/** Another member that disclosed its name on the alert. */
export function holderIdentity(name: string): StixObject {
  return {
    type: 'identity',
    spec_version: '2.1',
    id: holderIdentityIdOf(name),
    created: FIXED_TIME,
    modified: FIXED_TIME,
    name,
    identity_class: 'organization',
  };
}

const MAX_COUNT = 999_999_999;

/**
 * The STIX objects of one alert as its member sees it: the keyed token, an
 * indicator with a pattern over it, a sighting (the other holders' count and
 * first and last seen, to the hour the alert shows) and the identities of
 * the other holders that disclosed their names. Only this member's alert
 * objects carry its externalRef; the token observable, shared by every
 * holder, never does.
 */
export function alertObjects(alert: AlertFacts): StixObject[] {
  const created = stixTime(alert.createdAt);
  const modified = stixTime(alertModified(alert));
  const token = keyedToken(alert);
  const holders = alert.disclosedHolders.map(holderIdentity);
  const indicator: StixObject = {
    type: 'indicator',
    spec_version: '2.1',
    id: indicatorIdOf(alert.id),
    created_by_ref: FEDERATION_IDENTITY_ID,
    created,
    modified,
    name: `${alert.type} token held by ${alert.otherHolderCount} other member${alert.otherHolderCount === 1 ? '' : 's'}`,
    description: `Sigfed alert ${alert.id}, version ${alert.version}, ${alert.status}: another member submitted the same keyed token.`,
    indicator_types: ['malicious-activity'],
    pattern:
      `[${KEYED_TOKEN_TYPE}:token = ${literal(alert.token)} AND ${KEYED_TOKEN_TYPE}:token_kind = ${literal(alert.type)}` +
      ` AND ${KEYED_TOKEN_TYPE}:key_epoch = ${literal(alert.keyEpoch)}]`,
    pattern_type: 'stix',
    pattern_version: '2.1',
    valid_from: created,
    labels: [`sigfed-alert-${alert.status.toLowerCase()}`],
    ...(alert.externalRef ? { external_references: [{ source_name: 'sigfed-member-reference', external_id: alert.externalRef }] } : {}),
  };
  const firstSeen = alert.firstSeenAt.getTime();
  const lastSeen = Math.max(alert.lastSeenAt.getTime(), firstSeen);
  const sighting: StixObject = {
    type: 'sighting',
    spec_version: '2.1',
    id: sightingIdOf(alert.id),
    created_by_ref: FEDERATION_IDENTITY_ID,
    created,
    modified,
    sighting_of_ref: indicator.id,
    count: Math.min(alert.otherHolderCount, MAX_COUNT),
    first_seen: stixTime(new Date(firstSeen)),
    last_seen: stixTime(new Date(lastSeen)),
    where_sighted_refs: [FEDERATION_IDENTITY_ID, ...holders.map((h) => h.id)],
  };
  return [token, indicator, sighting, ...holders];
}

/** A STIX bundle of the objects (offline import: `alerts --format stix`). */
export function bundleOf(id: string, objects: StixObject[]): { type: 'bundle'; id: string; objects: StixObject[] } {
  return { type: 'bundle', id: `bundle--${id}`, objects };
}
