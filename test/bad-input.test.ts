import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPg } from '@app/database';
import { TestContext, type TestMember, testToken } from './support/context.js';
import { newKeyPair } from './support/oauth.js';

/**
 * Property-based tests of the GraphQL input surface. Arguments are generated
 * from the live schema (introspection), so every operation and input type is
 * covered, including ones added later; field names with a known form (keys,
 * epochs, URLs, cursors, JWKs...) get mostly well-formed values with one
 * thing wrong, so the runs reach the services and not only the parser.
 *
 * For every call: no HTTP 5xx and no INTERNAL_SERVER_ERROR; every
 * BAD_USER_INPUT names the field and the rule (extensions.problems
 * [{ field, rule }], or GraphQL's coercion message naming the variable
 * path); and a refused call changes nothing in the database.
 */

const POLICY = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32', RATE_LIMIT_POINTS: '1000000000' };
/** Runs per operation of the schema-wide property, and per focused property. */
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 25);
const RUNS_FOCUSED = Number(process.env.FUZZ_RUNS_FOCUSED ?? 60);

/** Codes a refusal may carry: bad input, a documented limit, or a domain answer on well-formed input. */
const REFUSAL_CODES = ['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'QUERY_LIMIT_EXCEEDED', 'NOT_FOUND', 'CONFLICT'];
/** BAD_USER_INPUT reasons that judge a well-formed value rather than its form (the reason says what is wrong). */
const DOMAIN_REASONS = ['INVITATION_INVALID', 'INVITATION_USED', 'INVITATION_EXPIRED', 'CANNOT_SUSPEND_SELF'];
/** graphql-js variable coercion messages: they name the variable, the path inside it, and what was expected. */
const COERCION =
  /^Variable "\$\w+" (got invalid value .*?(at "[\w.[\]]+")?; .+|of (required|non-null) type "[^"]+" (was not provided|must not be null)\.)$/s;

// ------------------------------------------------------------------ schema

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}
interface InputValue {
  name: string;
  type: TypeRef;
}
interface SchemaType {
  kind: string;
  name: string;
  inputFields: InputValue[] | null;
  enumValues: { name: string }[] | null;
}
interface Operation {
  root: 'Query' | 'Mutation';
  name: string;
  args: InputValue[];
  type: TypeRef;
}

const TYPE_REF = 'kind name ofType { kind name ofType { kind name ofType { kind name } } }';
const INTROSPECTION = `{ __schema {
  types { kind name inputFields { name type { ${TYPE_REF} } } enumValues { name } }
  queryType { fields { name args { name type { ${TYPE_REF} } } type { ${TYPE_REF} } } }
  mutationType { fields { name args { name type { ${TYPE_REF} } } type { ${TYPE_REF} } } }
} }`;

const sdl = (t: TypeRef): string => (t.kind === 'NON_NULL' ? `${sdl(t.ofType!)}!` : t.kind === 'LIST' ? `[${sdl(t.ofType!)}]` : t.name!);
const named = (t: TypeRef): TypeRef => (t.ofType ? named(t.ofType) : t);

/** The document that calls `op` with every argument as a variable of its declared type. */
function documentFor(op: Operation): string {
  const defs = op.args.map((a) => `$${a.name}: ${sdl(a.type)}`).join(', ');
  const call = op.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const selection = named(op.type).kind === 'OBJECT' ? ' { __typename }' : '';
  const keyword = op.root === 'Query' ? 'query' : 'mutation';
  return `${keyword} Fuzz${defs ? `(${defs})` : ''} { ${op.name}${call ? `(${call})` : ''}${selection} }`;
}

// ------------------------------------------------------------ arbitraries

/** A placeholder for an id of the test's world, filled in when the request is sent (the world changes). */
interface Ref {
  __ref: keyof World['ids'];
}
const ref = (name: keyof World['ids']): fc.Arbitrary<Ref> => fc.constant({ __ref: name });

const NASTY = [
  'a',
  'Z',
  '0',
  ' ',
  '-',
  '_',
  '.',
  '/',
  '\u0000',
  '\u0007',
  '\n',
  '\t',
  'é',
  '\uFE0F',
  '\u200D',
  '\uD800',
  '\uDC00',
  '😀',
  '\u202E',
  '"',
  "'",
  '\\',
  '%',
  '<',
  '$',
  '{',
];
/** Lengths near the limits the API states (names 200, references 256, e-mail 320, labels 500, reasons 1000, notes 2000, URLs 2048). */
const LIMITS = [200, 256, 320, 500, 1000, 2000, 2048];

/** The same characters without the ones no field accepts (NUL, lone surrogates), so that runs also get past that rule. */
const CLEAN = NASTY.filter((c) => !['\u0000', '\uD800', '\uDC00'].includes(c));

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: fc.constantFrom(...CLEAN), maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...NASTY), maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    // Near a stated limit, padded with characters that count differently in UTF-16, code points and graphemes.
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...LIMITS),
        fc.integer({ min: -2, max: 2 }),
        fc.constantFrom('\uFE0F', '😀', 'é', '\u0000'),
        fc.nat({ max: 20 }),
      )
      .map(([limit, delta, pad, k]) => 'a'.repeat(Math.max(limit + delta - k, 1)) + pad.repeat(k)),
  },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'x'.repeat(70_000)) },
);

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const tokenish = fc.oneof(
  { weight: 5, arbitrary: hex64 },
  { weight: 1, arbitrary: fc.oneof(fc.stringMatching(/^[0-9a-fA-F]{63,65}$/), text, fc.integer()) },
);

const dateish: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '0000-01-01T00:00:00Z',
      '-000001-01-01T00:00:00.000Z',
      '+275760-09-13T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
      '1970-01-01',
      '2026-02-30T00:00:00Z',
      '2026-13-45T99:99:99Z',
      '2026-11-26T22:00:00+14:00',
      'yesterday',
      'NaN',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant({})) },
);

const intish: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -5, max: 1_100 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, 1.5, Number.MAX_VALUE) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.boolean()) },
);

const b64url32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64url'));
/** Something shaped like a JWK: mostly plausible members, sometimes private ones, wrong curves or odd extras. */
const jwkish: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        kty: fc.oneof(fc.constantFrom('OKP', 'EC', 'RSA', 'oct', ''), text),
        crv: fc.oneof(fc.constantFrom('Ed25519', 'P-256', 'P-384', 'X25519', 'secp256k1'), text),
        x: fc.oneof(b64url32, text, fc.integer()),
        y: fc.oneof(b64url32, text),
        d: b64url32,
        k: text,
        alg: fc.oneof(fc.constantFrom('EdDSA', 'ES256', 'RS256', 'none'), text),
        use: fc.constantFrom('sig', 'enc', ''),
        kid: text,
        key_ops: fc.oneof(fc.constant(['verify']), fc.array(text, { maxLength: 3 }), text),
        extra: fc.jsonValue({ maxDepth: 3 }),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.constant('big').map(() => ({ kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(100_000) })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
);

const LISTS = ['alerts', 'members', 'audit', 'suppressed', 'webhook-deliveries', 'other'];
const cursorKey = fc.oneof(
  dateish,
  fc.uuid(),
  fc.stringMatching(/^\d{1,19}$/),
  fc.stringMatching(/^[A-Z_]{1,32}$/),
  hex64,
  text,
  fc.double(),
  fc.constant(null),
);
/** Cursors: random text, base64url of random JSON, and well-formed cursors of every list with random keys. */
const cursorish: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: text },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url')) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom(...LISTS), fc.array(cursorKey, { minLength: 1, maxLength: 4 }))
      .map(([list, key]) => Buffer.from(JSON.stringify([list, ...key])).toString('base64url')),
  },
);

const EVENT_TYPES = ['alert.created', 'alert.updated', 'alert.closed', 'member.key_revoked', 'webhook.endpoint_disabled', 'webhook.test'];

/** Mostly-valid values by field or argument name; the rest of the value space comes from the type. */
const BY_NAME: Record<string, fc.Arbitrary<unknown>> = {
  idempotencyKey: fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9._:-]{8,128}$/) }, { weight: 1, arbitrary: text }),
  keyEpoch: fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,31}$/) }, { weight: 1, arbitrary: text }),
  url: fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          fc.constantFrom(
            'http://127.0.0.1:9/',
            'http://127.0.0.1:9/',
            'http://127.0.0.1:9/',
            'https://127.0.0.1/',
            'http://[::1]/',
            'ftp://127.0.0.1/',
            'http://10.0.0.1/',
          ),
          text,
        )
        .map(([base, path]) => base + path),
    },
    { weight: 1, arbitrary: text },
  ),
  contactEmail: fc.oneof({ weight: 3, arbitrary: fc.emailAddress() }, { weight: 1, arbitrary: text }),
  invitationToken: fc.oneof(ref('invitationToken'), fc.stringMatching(/^sfinv_[A-Za-z0-9_-]{43}$/), text),
  publicJwk: jwkish,
  kid: fc.oneof(ref('kid'), fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), text),
  id: fc.oneof(ref('alertId'), ref('endpointId'), ref('memberId'), ref('adminId'), ref('deliveryId'), fc.uuid(), text),
  endpointId: fc.oneof(ref('endpointId'), ref('deliveryId'), fc.uuid(), text),
  deliveryId: fc.oneof(ref('deliveryId'), ref('endpointId'), fc.uuid(), text),
  memberId: fc.oneof(ref('memberId'), fc.uuid(), text),
  eventTypes: fc.oneof(
    { weight: 4, arbitrary: fc.uniqueArray(fc.constantFrom(...EVENT_TYPES), { maxLength: 7 }) },
    { weight: 1, arbitrary: fc.array(text, { maxLength: 8 }) },
  ),
  action: fc.oneof(fc.constantFrom('member.suspended', 'invitation.created'), fc.stringMatching(/^[a-z_.]{1,64}$/), text),
  after: fc.oneof(fc.constant(null), cursorish),
  first: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 100 }) }, { weight: 1, arbitrary: intish }),
  confidence: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 100 }) }, { weight: 1, arbitrary: intish }),
  expiresInHours: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 720 }) }, { weight: 1, arbitrary: intish }),
  windowHours: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 720 }) }, { weight: 1, arbitrary: intish }),
  indicatorsPerHour: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 1_000_000_000 }) }, { weight: 1, arbitrary: intish }),
  observedAt: fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: -86_400_000 * 400, max: 0 }).map((d) => new Date(Date.now() + d).toISOString()) },
    { weight: 1, arbitrary: dateish },
  ),
  expiresAt: fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 60_000, max: 86_400_000 * 700 }).map((d) => new Date(Date.now() + d).toISOString()) },
    { weight: 1, arbitrary: dateish },
  ),
  since: dateish,
};

const OMIT = Symbol('omit');

/** Values for a type reference: mostly of the type, sometimes null, sometimes any JSON at all. */
function valueFor(type: TypeRef, fieldName: string, types: Map<string, SchemaType>, depth: number): fc.Arbitrary<unknown> {
  const junk = fc.jsonValue({ maxDepth: 2 });
  if (type.kind === 'NON_NULL') {
    return fc.oneof(
      { weight: 40, arbitrary: valueFor(type.ofType!, fieldName, types, depth) },
      { weight: 1, arbitrary: fc.constant(null) },
    );
  }
  const byName = BY_NAME[fieldName];
  if (type.kind === 'LIST') {
    const item = valueFor(type.ofType!, fieldName, types, depth + 1);
    return fc.oneof(
      { weight: 8, arbitrary: byName ?? fc.array(item, { maxLength: depth > 1 ? 2 : 4 }) },
      { weight: 1, arbitrary: item },
      { weight: 1, arbitrary: junk },
    );
  }
  const schemaType = types.get(type.name!)!;
  let base: fc.Arbitrary<unknown>;
  if (schemaType.kind === 'ENUM') {
    base = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...schemaType.enumValues!.map((v) => v.name)) },
      { weight: 1, arbitrary: text },
    );
  } else if (schemaType.kind === 'INPUT_OBJECT') {
    base = inputObject(schemaType, types, depth);
  } else {
    base = scalar(type.name!);
  }
  return fc.oneof(
    { weight: 30, arbitrary: byName ? fc.oneof({ weight: 5, arbitrary: byName }, { weight: 1, arbitrary: base }) : base },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: junk },
  );
}

function scalar(name: string): fc.Arbitrary<unknown> {
  switch (name) {
    case 'String':
      return text;
    case 'ID':
      return fc.oneof(fc.uuid(), text, fc.integer());
    case 'Int':
      return intish;
    case 'Float':
      return fc.double();
    case 'Boolean':
      return fc.oneof({ weight: 5, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom('true', 0, 1) });
    case 'DateTime':
      return dateish;
    case 'IndicatorToken':
      return tokenish;
    case 'JSONObject':
      return jwkish;
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function inputObject(type: SchemaType, types: Map<string, SchemaType>, depth: number): fc.Arbitrary<unknown> {
  const fields = type.inputFields!.map((f) =>
    fc.option(valueFor(f.type, f.name, types, depth + 1), { nil: OMIT, freq: f.type.kind === 'NON_NULL' ? 30 : 3 }),
  );
  return fc
    .tuple(
      fc.tuple(...fields),
      fc.oneof(
        { weight: 12, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom('extra', '__proto__', 'constructor', 'id'), fc.jsonValue({ maxDepth: 1 })) },
      ),
    )
    .map(([values, extra]) => {
      const out: Record<string, unknown> = {};
      type.inputFields!.forEach((f, i) => {
        if (values[i] !== OMIT) out[f.name] = values[i];
      });
      if (extra) Object.defineProperty(out, extra[0], { value: extra[1], enumerable: true, configurable: true, writable: true });
      return out;
    });
}

/** Arguments of one operation, as variables. */
function argumentsFor(op: Operation, types: Map<string, SchemaType>): fc.Arbitrary<Record<string, unknown>> {
  const args = op.args.map((a) => fc.option(valueFor(a.type, a.name, types, 0), { nil: OMIT, freq: a.type.kind === 'NON_NULL' ? 40 : 4 }));
  return fc.tuple(...args).map((values) => {
    const out: Record<string, unknown> = {};
    op.args.forEach((a, i) => {
      if (values[i] !== OMIT) out[a.name] = values[i];
    });
    return out;
  });
}

// ------------------------------------------------------------------ world

interface World {
  ids: { alertId: string; endpointId: string; deliveryId: string; memberId: string; adminId: string; kid: string; invitationToken: string };
}

function resolveRefs(value: unknown, world: World): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, world));
  if (value && typeof value === 'object') {
    if ('__ref' in value && Object.keys(value).length === 1) return world.ids[(value as Ref).__ref];
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRefs(v, world)]));
  }
  return value;
}

/** Every name a problem's field path may legitimately end with: argument names and keys of the sent values. */
function namesIn(value: unknown, names = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) namesIn(v, names);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      names.add(k);
      namesIn(v, names);
    }
  }
  return names;
}

/** What a refused call must not have changed: counts of every table and the mutable state of the rows members can change. */
const SNAPSHOT = `SELECT json_build_object(
  'members', (SELECT json_agg(json_build_array(id, status, role, name, suspended_reason, indicators_per_hour) ORDER BY id) FROM members),
  'keys', (SELECT json_agg(json_build_array(kid, member_id, status) ORDER BY kid) FROM member_keys),
  'invitations', (SELECT json_agg(json_build_array(id, accepted_at) ORDER BY id) FROM invitations),
  'indicators', (SELECT count(*) FROM indicators),
  'indicatorState', (SELECT md5(string_agg(encode(token, 'hex') || confidence || expires_at || external_ref || disclose_identity, ',' ORDER BY token, member_no)) FROM indicators),
  'submissions', (SELECT count(*) FROM submissions),
  'outbox', (SELECT count(*) FROM outbox_events),
  'audit', (SELECT count(*) FROM audit_events),
  'alerts', (SELECT json_agg(json_build_array(id, status, verdict, verdict_note) ORDER BY id) FROM alerts),
  'endpoints', (SELECT json_agg(json_build_array(id, url, description, event_types, status, asymmetric_signature, md5(secret_encrypted)) ORDER BY id) FROM webhook_endpoints),
  'deliveries', (SELECT json_agg(json_build_array(id, status, round) ORDER BY id) FROM webhook_deliveries),
  'suppressed', (SELECT json_agg(json_build_array(encode(token, 'hex'), reason) ORDER BY token) FROM suppressed_tokens)
)::text AS s`;

/** A property that failed for one operation: what was wrong, and the arguments that showed it. */
interface Finding {
  operation: string;
  problem: string;
  variables: string;
}

describe('bad input over every GraphQL operation and input type', () => {
  let ctx: TestContext;
  let admin: TestMember;
  let adminToken: string;
  let world: World;
  let operations: Operation[];
  let types: Map<string, SchemaType>;
  const counts = { calls: 0, refused: 0, accepted: new Map<string, number>() };

  /** The tables' owner, whom row-level security does not narrow: the test's view of the database. */
  let owner: pg.Client;
  const snapshot = async () => (await owner.query<{ s: string }>(SNAPSHOT)).rows[0].s;

  const createEndpoint = async () => {
    const res = await ctx.gql<{ createWebhookEndpoint: { endpoint: { id: string } } }>(
      'mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } } }',
      { i: { url: 'http://127.0.0.1:9/hook', eventTypes: ['alert.created'] } },
      adminToken,
    );
    return res.data!.createWebhookEndpoint.endpoint.id;
  };

  /** Keeps the world usable after an accepted call deleted or used something up. */
  const heal = async () => {
    if (!(await owner.query('SELECT 1 FROM webhook_endpoints WHERE id = $1', [world.ids.endpointId])).rowCount)
      world.ids.endpointId = await createEndpoint();
    await owner.query(
      "UPDATE members SET status = 'ACTIVE', suspended_at = NULL, suspended_reason = NULL WHERE id = $1 AND status = 'SUSPENDED'",
      [world.ids.memberId],
    );
    // At most MAX_ENDPOINTS_PER_MEMBER endpoints: keep the one the world names.
    await owner.query('DELETE FROM webhook_endpoints WHERE member_id = $1 AND id <> $2', [admin.id, world.ids.endpointId]);
    if (!(await owner.query('SELECT 1 FROM invitations WHERE accepted_at IS NULL')).rowCount) {
      const res = await ctx.gql<{ createInvitation: { invitationToken: string } }>(
        'mutation { createInvitation(input: { organizationName: "Fuzz Lab", contactEmail: "fuzz@lab.example" }) { invitationToken } }',
        {},
        adminToken,
      );
      world.ids.invitationToken = res.data!.createInvitation.invitationToken;
    }
  };

  /** Sends one call and returns what is wrong with the answer, or undefined. */
  async function probe(op: Operation, generated: Record<string, unknown>): Promise<string | undefined> {
    const variables = resolveRefs(generated, world) as Record<string, unknown>;
    const before = await snapshot();
    const res = await fetch(`${ctx.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(op.name === 'acceptInvitation' ? {} : { authorization: `Bearer ${adminToken}` }) },
      body: JSON.stringify({ query: documentFor(op), variables }),
    });
    counts.calls++;
    const raw = await res.text();
    if (res.status >= 500) return `HTTP ${res.status}: ${raw.slice(0, 300)}`;
    let body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
    try {
      body = JSON.parse(raw);
    } catch {
      return `not JSON (HTTP ${res.status}): ${raw.slice(0, 200)}`;
    }
    const errors = body.errors ?? [];
    if (errors.length === 0) {
      counts.accepted.set(op.name, (counts.accepted.get(op.name) ?? 0) + 1);
      await heal();
      return undefined;
    }
    counts.refused++;
    const names = namesIn(variables);
    for (const a of op.args) names.add(a.name);
    for (const e of errors) {
      const code = String(e.extensions?.code);
      if (!REFUSAL_CODES.includes(code)) return `code ${code}: ${e.message.slice(0, 300)}`;
      if (code !== 'BAD_USER_INPUT') continue;
      const problems = e.extensions?.problems as { field?: unknown; rule?: unknown }[] | undefined;
      if (problems) {
        if (!Array.isArray(problems) || problems.length === 0) return `empty problems: ${e.message}`;
        for (const p of problems) {
          if (typeof p.field !== 'string' || !p.field || typeof p.rule !== 'string' || !p.rule)
            return `problem without field or rule: ${JSON.stringify(p)}`;
          const last = p.field
            .split('.')
            .filter((s) => !/^\d+$/.test(s))
            .at(-1)!;
          if (!names.has(last)) return `problem names a field that was not sent: ${p.field}`;
        }
      } else if (!DOMAIN_REASONS.includes(String(e.extensions?.reason)) && !COERCION.test(e.message)) {
        return `BAD_USER_INPUT naming no field and rule: ${e.message.slice(0, 300)}`;
      }
    }
    if (body.data && body.data[op.name] != null) {
      await heal();
      return undefined; // a partial answer is not a refusal of this field
    }
    const after = await snapshot();
    if (after !== before) return `refused, but the database changed:\n${diff(before, after)}`;
    return undefined;
  }

  beforeAll(async () => {
    owner = await connectPg(process.env.DATABASE_URL!);
    ctx = await TestContext.start(POLICY);
    admin = await ctx.newAdmin({ name: 'Fuzz operator' });
    adminToken = await admin.token();
    const target = await ctx.newMember({ name: 'Fuzz target' });
    const extraKey = await newKeyPair();
    await owner.query('INSERT INTO member_keys (member_id, kid, alg, public_jwk) VALUES ($1, $2, $3, $4)', [
      target.id,
      extraKey.kid,
      extraKey.alg,
      JSON.stringify({ ...extraKey.publicJwk, kid: extraKey.kid, alg: extraKey.alg, use: 'sig' }),
    ]);
    // One alert of the admin's own, to acknowledge.
    const token = Buffer.from(testToken('fuzz-match'), 'hex');
    const match = await owner.query<{ id: string }>(
      `INSERT INTO matches (type, key_epoch, token, holder_count, first_seen_at, last_seen_at)
       VALUES ('ACCOUNT_SIGNAL', '2026-q4', $1, 2, now(), now()) RETURNING id`,
      [token],
    );
    const alert = await owner.query<{ id: string }>(
      'INSERT INTO alerts (match_id, member_id, other_holders) VALUES ($1, $2, 1) RETURNING id',
      [match.rows[0].id, admin.id],
    );
    const endpointId = await createEndpoint();
    const test = await ctx.gql<{ sendTestWebhook: { id: string } }>(
      'mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }',
      { id: endpointId },
      adminToken,
    );
    world = {
      ids: {
        alertId: alert.rows[0].id,
        endpointId,
        deliveryId: test.data!.sendTestWebhook.id,
        memberId: target.id,
        adminId: admin.id,
        kid: extraKey.kid,
        invitationToken: '',
      },
    };
    await heal();

    const schema = await ctx.gql<{
      __schema: {
        types: SchemaType[];
        queryType: { fields: Omit<Operation, 'root'>[] };
        mutationType: { fields: Omit<Operation, 'root'>[] };
      };
    }>(INTROSPECTION);
    const s = schema.data!.__schema;
    types = new Map(s.types.map((t) => [t.name, t]));
    operations = [
      ...s.queryType.fields.map((f) => ({ ...f, root: 'Query' as const })),
      ...s.mutationType.fields.map((f) => ({ ...f, root: 'Mutation' as const })),
    ];
  });
  afterAll(async () => {
    console.info(
      `bad-input: ${counts.calls} calls, ${counts.refused} refused; accepted by operation ${JSON.stringify(Object.fromEntries([...counts.accepted].sort()))}`,
    );
    await ctx?.close();
    await owner?.end();
  });

  it('reaches every input type of the schema through some operation argument, so the generated arguments cover them all', () => {
    const inputTypes = [...types.values()].filter((t) => t.kind === 'INPUT_OBJECT' && !t.name.startsWith('__')).map((t) => t.name);
    const reached = new Set<string>();
    const visit = (t: TypeRef) => {
      const n = named(t);
      const st = types.get(n.name!)!;
      if (st.kind === 'INPUT_OBJECT' && !reached.has(st.name)) {
        reached.add(st.name);
        for (const f of st.inputFields!) visit(f.type);
      }
    };
    for (const op of operations) for (const a of op.args) visit(a.type);
    expect(inputTypes.length).toBeGreaterThan(5);
    expect(inputTypes.filter((t) => !reached.has(t))).toEqual([]);
  });

  it(
    'answers every operation with arbitrary arguments without a 500, naming field and rule, storing nothing when it refuses',
    async () => {
      const findings: Finding[] = [];
      for (const op of operations.filter((o) => o.args.length > 0)) {
        const result = await fc.check(
          fc.asyncProperty(argumentsFor(op, types), async (vars) => {
            const problem = await probe(op, vars);
            if (problem) throw new Error(problem);
          }),
          { numRuns: RUNS_PER_OPERATION, endOnFailure: true },
        );
        if (result.failed) {
          findings.push({
            operation: op.name,
            problem: String((result.errorInstance as Error)?.message ?? result.errorInstance).slice(0, 600),
            variables: JSON.stringify(resolveRefs(result.counterexample?.[0], world)).slice(0, 600),
          });
        }
      }
      expect(findings).toEqual([]);
    },
    Math.max(60_000, RUNS_PER_OPERATION * 1_500),
  );

  it('refuses a batch with one bad item field as a whole, naming that item and field, and accepts it once repaired', async () => {
    const SUBMIT = 'mutation($input: SubmitIndicatorsInput!) { submitIndicators(input: $input) { submissionId accepted duplicates } }';
    const now = Date.now();
    const item = fc.record({
      type: fc.constantFrom('PAYMENT_FINGERPRINT', 'IP_RANGE', 'PROMPT_TEMPLATE', 'ACCOUNT_SIGNAL'),
      token: hex64,
      keyEpoch: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,31}$/),
      observedAt: fc.integer({ min: now - 86_400_000 * 30, max: now }).map((t) => new Date(t).toISOString()),
      expiresAt: fc.integer({ min: now + 3_600_000, max: now + 86_400_000 * 700 }).map((t) => new Date(t).toISOString()),
      confidence: fc.integer({ min: 0, max: 100 }),
      externalRef: fc.string({ unit: fc.constantFrom('a', 'Z', '9', ' ', '-', '#', 'é', '😀', '中'), minLength: 1, maxLength: 256 }),
      discloseIdentity: fc.boolean(),
    });
    const day = 86_400_000;
    /** Not RFC 3339 date-times of years 0001-9999, so refused whatever the field's rule. */
    const malformedDate = fc.oneof(
      fc.constantFrom(
        '0000-01-01T00:00:00Z',
        '-000001-01-01T00:00:00.000Z',
        '+275760-09-13T00:00:00.000Z',
        '1970-01-01',
        '2026-02-30T00:00:00Z',
        '2026-13-45T99:99:99Z',
        'yesterday',
        '',
      ),
      fc.oneof(fc.integer(), fc.boolean(), fc.constant({})),
    );
    /** Values that break each field's rule, in form or in meaning. */
    const BAD: Record<string, fc.Arbitrary<unknown>> = {
      type: fc.oneof(fc.constantFrom('IPV4', 'ip_range', '', null), fc.integer()),
      token: fc.oneof(
        fc.stringMatching(/^[0-9A-F]{64}$/),
        fc.stringMatching(/^[0-9a-f]{0,63}$/),
        fc.stringMatching(/^[0-9a-f]{65,70}$/),
        fc.constant(null),
        fc.integer(),
      ),
      keyEpoch: fc
        .oneof(text, fc.stringMatching(/^[A-Z_.-][a-z0-9]{0,3}$/), fc.constant('e'.repeat(33)), fc.constant(null))
        .filter((v) => typeof v !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,31}$/.test(v)),
      observedAt: fc.oneof(
        fc.integer({ min: 6 * 60_000, max: 400 * day }).map((d) => new Date(now + d).toISOString()),
        malformedDate,
      ),
      expiresAt: fc.oneof(
        fc.integer({ min: -400 * day, max: -1_000 }).map((d) => new Date(now + d).toISOString()),
        fc.integer({ min: 731 * day, max: 3_000 * day }).map((d) => new Date(now + d).toISOString()),
        malformedDate,
      ),
      confidence: fc
        .oneof(fc.integer({ min: 101 }), fc.integer({ max: -1 }), fc.constantFrom(0.5, 2 ** 31, '50', null, true))
        .filter((v) => v !== null),
      externalRef: fc.oneof(
        fc.constant(''),
        fc.constant('r'.repeat(257)),
        fc.constant('😀'.repeat(257)),
        fc.tuple(text, fc.constantFrom('\u0000', '\n', '\u0007', '\u007f', '\uD800', '\u009b'), text).map(([a, c, b]) => a + c + b),
        fc.integer(),
      ),
      discloseIdentity: fc.constantFrom('true', 1, 'yes', {}),
      unknownField: fc.jsonValue({ maxDepth: 1 }),
    };
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(item, { minLength: 1, maxLength: 5, selector: (i) => i.token }),
        fc.nat(),
        fc.constantFrom(...Object.keys(BAD)).chain((field) => fc.tuple(fc.constant(field), BAD[field])),
        async (items, at, [field, bad]) => {
          const i = at % items.length;
          const broken = items.map((it, j) => (j === i ? { ...it, [field]: bad } : it));
          const before = await snapshot();
          const res = await ctx.gql(SUBMIT, { input: { idempotencyKey: randomUUID(), indicators: broken } }, adminToken);
          counts.calls++;
          expect(res.status).toBeLessThan(500);
          expect(res.data?.submitIndicators ?? null).toBeNull();
          const error = res.errors![0];
          expect(error.extensions?.code, error.message).toBe('BAD_USER_INPUT');
          const problems = (error.extensions?.problems ?? []) as { field: string; rule: string }[];
          if (problems.length > 0) {
            expect(problems.map((p) => p.field)).toContain(`indicators.${i}.${field}`);
            for (const p of problems) expect(p.rule).toMatch(/^\w+$/);
          } else {
            // Refused by GraphQL coercion: the message names the item and the field.
            expect(error.message).toContain(`indicators[${i}]`);
            expect(error.message).toContain(field);
          }
          expect(await snapshot()).toBe(before);
          refused++;
          // The same batch without the bad value is accepted, all of it: the refusal was that value's.
          const repaired = await ctx.gql<{ submitIndicators: { accepted: number; duplicates: number } }>(
            SUBMIT,
            { input: { idempotencyKey: randomUUID(), indicators: items } },
            adminToken,
          );
          counts.calls++;
          expect(repaired.errors).toBeUndefined();
          expect(repaired.data!.submitIndicators.accepted + repaired.data!.submitIndicators.duplicates).toBe(items.length);
        },
      ),
      { numRuns: RUNS_FOCUSED },
    );
    counts.refused += refused;
  });

  it('refuses Unicode format characters (category Cf) in every free-text field with rule noFormatCharacters, storing nothing', async () => {
    // Bidi override and isolate, zero-width space and joiner, BOM, soft hyphen, Arabic letter mark, a tag character.
    const FORMAT = ['\u202E', '\u2066', '\u200B', '\u200D', '\uFEFF', '\u00AD', '\u061C', '\u{E0041}'];
    const ref = testToken('cf-ref');
    const fields: [string, string, (text: string) => Record<string, unknown>][] = [
      [
        'input.organizationName',
        'mutation($v: CreateInvitationInput!) { createInvitation(input: $v) { invitationToken } }',
        (t) => ({ v: { organizationName: t, contactEmail: 'cf@lab.example' } }),
      ],
      ['reason', 'mutation($id: ID!, $t: String!) { suspendMember(id: $id, reason: $t) { id } }', (t) => ({ id: world.ids.memberId, t })],
      [
        'input.reason',
        'mutation($t: String!, $k: IndicatorToken!) { suppressToken(input: { type: IP_RANGE, keyEpoch: "e1", token: $k, reason: $t }) { token } }',
        (t) => ({ t, k: ref }),
      ],
      [
        'note',
        'mutation($id: ID!, $t: String) { acknowledgeAlert(id: $id, verdict: UNDER_REVIEW, note: $t) { id } }',
        (t) => ({ id: world.ids.alertId, t }),
      ],
      [
        'input.description',
        'mutation($v: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $v) { endpoint { id } } }',
        (t) => ({ v: { url: 'http://127.0.0.1:9/cf', eventTypes: ['alert.created'], description: t } }),
      ],
      [
        'input.description',
        'mutation($id: ID!, $t: String) { updateWebhookEndpoint(id: $id, input: { description: $t }) { id } }',
        (t) => ({ id: world.ids.endpointId, t }),
      ],
      [
        'indicators.0.externalRef',
        'mutation($v: SubmitIndicatorsInput!) { submitIndicators(input: $v) { accepted } }',
        (t) => ({
          v: { idempotencyKey: randomUUID(), indicators: [{ type: 'IP_RANGE', keyEpoch: 'e1', token: ref, externalRef: t }] },
        }),
      ],
    ];
    for (const [field, document, variables] of fields) {
      for (const character of FORMAT) {
        const text = `invoice${character}fdp.exe`;
        const before = await snapshot();
        const res = await ctx.gql(document, variables(text), adminToken);
        counts.calls++;
        const label = `${field} with U+${character.codePointAt(0)!.toString(16)}`;
        expect(res.errors?.[0].extensions?.code, label).toBe('BAD_USER_INPUT');
        expect(res.errors![0].extensions?.problems, label).toEqual([
          { field, rule: 'noFormatCharacters', message: expect.stringContaining('category Cf') },
        ]);
        expect(await snapshot(), label).toBe(before);
      }
    }
    // Ordinary text in any script stays accepted, right-to-left included.
    const plain = await ctx.gql(
      'mutation($id: ID!, $t: String) { updateWebhookEndpoint(id: $id, input: { description: $t }) { description } }',
      { id: world.ids.endpointId, t: 'Café 中文 مرحبا 😀' },
      adminToken,
    );
    expect(plain.errors).toBeUndefined();
  });

  it('refuses doctored cursors of every list naming `after`, never failing inside the query', async () => {
    const lists: [string, string, Record<string, unknown>][] = [
      ['alerts', 'query($after: String) { alerts(first: 2, after: $after) { pageInfo { endCursor } } }', {}],
      ['members', 'query($after: String) { members(first: 2, after: $after) { pageInfo { endCursor } } }', {}],
      ['auditLog', 'query($after: String) { auditLog(first: 2, after: $after) { pageInfo { endCursor } } }', {}],
      ['suppressedTokens', 'query($after: String) { suppressedTokens(first: 2, after: $after) { pageInfo { endCursor } } }', {}],
      [
        'webhookDeliveries',
        'query($after: String, $id: ID!) { webhookDeliveries(endpointId: $id, first: 2, after: $after) { pageInfo { endCursor } } }',
        {},
      ],
    ];
    // Something on every list, so that each issues a real cursor to doctor.
    await ctx.gql(
      'mutation($t: IndicatorToken!) { suppressToken(input: { type: IP_RANGE, keyEpoch: "e1", token: $t, reason: "benign" }) { token } }',
      { t: testToken('s') },
      adminToken,
    );
    const real = new Map<string, unknown[]>();
    for (const [name, doc] of lists) {
      const res = await ctx.gql<Record<string, { pageInfo: { endCursor: string | null } }>>(doc, { id: world.ids.endpointId }, adminToken);
      const cursor = res.data![name].pageInfo.endCursor;
      expect(cursor, name).toBeTruthy();
      real.set(name, JSON.parse(Buffer.from(cursor!, 'base64url').toString('utf8')) as unknown[]);
    }
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...lists), fc.nat(), cursorKey, async ([name, doc], at, replacement) => {
        const key = [...real.get(name)!];
        key[1 + (at % (key.length - 1))] = replacement;
        const after = Buffer.from(JSON.stringify(key)).toString('base64url');
        const res = await ctx.gql(doc, { after, id: world.ids.endpointId }, adminToken);
        counts.calls++;
        expect(res.status).toBeLessThan(500);
        if (res.errors) {
          counts.refused++;
          expect(res.errors[0].extensions?.code).toBe('BAD_USER_INPUT');
          const problems = res.errors[0].extensions?.problems as { field: string; rule: string }[];
          expect(problems.map((p) => p.field)).toEqual(['after']);
          expect(['cursor', 'maxLength']).toContain(problems[0].rule);
        }
      }),
      { numRuns: RUNS_FOCUSED },
    );
  });
});

function diff(before: string, after: string): string {
  const a = JSON.parse(before) as Record<string, unknown>;
  const b = JSON.parse(after) as Record<string, unknown>;
  return Object.keys(b)
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => `${k}: ${JSON.stringify(a[k]).slice(0, 200)} -> ${JSON.stringify(b[k]).slice(0, 200)}`)
    .join('\n');
}
