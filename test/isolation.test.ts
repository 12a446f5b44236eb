import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { createClient } from 'graphql-ws';
import type { INestApplication } from '@nestjs/common';
import type pg from 'pg';
import { ristretto255 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPg } from '@app/database';
import { createKeyEpoch } from '../apps/cli/src/commands/key-epochs.command.js';
import { type GqlResponse, TestContext, type TestMember, testToken } from './support/context.js';
import { newKeyPair, signAssertion, type TestKeyPair } from './support/oauth.js';
import { until } from './support/wait.js';
import { Subscriber } from './support/subscriber.js';
import { startWorker, WebhookReceiver } from './support/webhooks.js';

/**
 * Isolation walk: every query, mutation and subscription the running server
 * exposes (read from its schema by introspection, never listed by hand) is
 * run by member A against member B's data, and by a plain member against
 * admin operations. Each must be refused or show nothing of B's. An
 * operation the table below does not cover fails the walk, so a new
 * operation cannot ship without its isolation scenario.
 *
 * B's data is made through the real paths: onboarding by invitation,
 * submissions over GraphQL, correlation and webhook delivery on an
 * in-process worker, a webhook receiver on loopback.
 */

const POLICY = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' };
/** A valid blinded element (a ristretto255 point other than the identity): the base point's encoding. */
const BLINDED_ELEMENT = Buffer.from(ristretto255.Point.BASE.toBytes()).toString('base64url');
const EPOCH = '2026-q4';

const ALERT_FIELDS = `id status version type keyEpoch token matchKind similarity externalRef otherHolderCount firstSeenAt lastSeenAt disclosedHolders
  verdictCounts { confirmedAbuse falsePositive underReview } verdict verdictNote acknowledgedAt createdAt updatedAt closedAt`;
const MEMBER_FIELDS =
  'id clientId name contactEmail status role suspendedAt suspendedReason createdAt keys { kid alg status publicJwk createdAt revokedAt lastUsedAt }';
const ENDPOINT_FIELDS =
  'id url description eventTypes status asymmetricSignature failingSince disabledAt disabledReason previousSecretExpiresAt createdAt updatedAt';
const DELIVERY_FIELDS =
  'id endpointId eventId eventType status attemptCount body createdAt completedAt lastAttemptAt nextAttemptAt attempts { attemptedAt statusCode latencyMs responseBody error }';

/** A member onboarded through GraphQL (invitation, then acceptance with its own key). */
interface Party {
  id: string;
  clientId: string;
  name: string;
  key: TestKeyPair;
  token(): Promise<string>;
}

/** Everything the walk needs: the parties, B's data, and B's secret markers. */
interface World {
  a: TestMember;
  tokenA: string;
  b: Party;
  tokenB: string;
  c: TestMember;
  admin: TestMember;
  tokenAdmin: string;
  b2Key: TestKeyPair;
  bInvitationToken: string;
  bIdempotencyKey: string;
  bAlertIds: string[];
  aAlertIds: string[];
  bEndpoint: { id: string; secret: string; url: string; description: string };
  aEndpointId: string;
  bDeliveries: { id: string; eventId: string }[];
  tokens: { bOnly: string; bc: string; ab: string; ac: string; suppressed: string };
  /** B's template signature: its idempotency key and externalRef. */
  bTemplate: { idempotencyKey: string; externalRef: string };
  /** B's campaign (with C), and A's (with C). */
  bCampaignId: string;
  aCampaignId: string;
  /** Values only B (or B's own view) may ever see, by label. */
  markers: Record<string, string>;
}

type Access = 'public' | 'member' | 'admin';

/** What one operation's scenario checks; `attack` runs as A (or as a plain member) against B. */
interface Scenario {
  access: Access;
  /** Why an operation is public (required for public ones). */
  why?: string;
  /** The operation with B's identifiers, as A sends it; also sent anonymously by the walk. */
  doc?: string;
  vars?: (w: World) => Record<string, unknown>;
  /** The attack and its assertions (beyond the common ones: no B marker in any answer, no 500). */
  attack: (w: World, send: Send) => Promise<void>;
}

type Send = (doc: string, vars: Record<string, unknown>, token?: string) => Promise<GqlResponse>;

const codeOf = (res: GqlResponse) => res.errors?.[0]?.extensions?.code;

/** Asserts a refusal with `code`, and that B's id answers exactly as an id that exists nowhere. */
async function refusedLikeNothing(
  send: Send,
  doc: string,
  bVars: Record<string, unknown>,
  ghostVars: Record<string, unknown>,
  token: string,
  code: string,
): Promise<void> {
  const [real, ghost] = [await send(doc, bVars, token), await send(doc, ghostVars, token)];
  expect(real.data ?? null, JSON.stringify(real)).toBeNull();
  expect(codeOf(real), JSON.stringify(real.errors)).toBe(code);
  expect(real.errors!.map((e) => [e.message, e.extensions])).toEqual(ghost.errors!.map((e) => [e.message, e.extensions]));
}

/** Asserts FORBIDDEN (ROLE_REQUIRED) before anything ran. */
async function adminOnly(send: Send, doc: string, vars: Record<string, unknown>, token: string): Promise<void> {
  const res = await send(doc, vars, token);
  expect(res.data ?? null, JSON.stringify(res)).toBeNull();
  expect(res.errors?.[0]?.extensions, JSON.stringify(res.errors)).toMatchObject({ code: 'FORBIDDEN', reason: 'ROLE_REQUIRED' });
}

const ghostId = () => randomUUID();

const TEMPLATE_SUBMIT =
  'mutation($i: SubmitTemplateSignaturesInput!) { submitTemplateSignatures(input: $i) { submissionId accepted duplicates } }';
/** 32 distinct band tokens of a made-up signature. */
const bandsOf = (label: string) => Array.from({ length: 32 }, (_, band) => testToken(`${label}-band-${band}`));
const CAMPAIGN_FIELDS = `id status version memberCount bundleCount ownBundles { bundleRef directMatch }
  linkingTokens { type keyEpoch token } tokenCounts { type count } firstSeenAt lastSeenAt disclosedMembers`;
const SUBMIT_BUNDLES = 'mutation($i: SubmitBundlesInput!) { submitBundles(input: $i) { submissionId accepted duplicates } }';

/** One bundle per ref, each of ACCOUNT_SIGNAL tokens. */
const bundlesInput = (bundles: [string, string[]][]) => ({
  i: {
    idempotencyKey: randomUUID(),
    bundles: bundles.map(([bundleRef, tokens]) => ({
      bundleRef,
      observedAt: '2026-11-20T12:00:00Z',
      indicators: tokens.map((token) => ({ type: 'ACCOUNT_SIGNAL', keyEpoch: EPOCH, token })),
    })),
  },
});

/**
 * The table: every operation of the schema, by `Type.field`, with its
 * scenario. The walk fails when the schema and this table disagree.
 */
const SCENARIOS: Record<string, Scenario> = {
  // ---------------------------------------------------------------- queries
  'Query.serverInfo': {
    access: 'public',
    why: 'the issuer URL and server time, which clients need before they can authenticate; no member data',
    doc: '{ serverInfo { issuer time } }',
    attack: async (_w, send) => {
      const res = await send('{ serverInfo { issuer time } }', {});
      expect(res.errors).toBeUndefined();
      expect(Object.keys(res.data!.serverInfo as object).sort()).toEqual(['issuer', 'time']);
    },
  },
  'Query.me': {
    access: 'member',
    doc: `{ me { ${MEMBER_FIELDS} } }`,
    attack: async (w, send) => {
      const res = await send(`{ me { ${MEMBER_FIELDS} } }`, {}, w.tokenA);
      expect(res.errors).toBeUndefined();
      expect(res.data!.me).toMatchObject({ id: w.a.id, clientId: w.a.clientId, keys: [{ kid: w.a.kid }] });
    },
  },
  'Query.alert': {
    access: 'member',
    doc: `query($id: ID!) { alert(id: $id) { ${ALERT_FIELDS} } }`,
    vars: (w) => ({ id: w.bAlertIds[0] }),
    attack: async (w, send) => {
      const doc = `query($id: ID!) { alert(id: $id) { ${ALERT_FIELDS} } }`;
      // Both of B's alerts: the one on a token only B and C hold, and the one on a token A holds too.
      for (const id of w.bAlertIds) await refusedLikeNothing(send, doc, { id }, { id: ghostId() }, w.tokenA, 'NOT_FOUND');
      // A's own alert on the token it shares with B: A's token and reference, B's neither named nor referenced.
      const own = await send(doc, { id: w.aAlertIds[0] }, w.tokenA);
      expect(own.errors).toBeUndefined();
      expect(own.data!.alert).toMatchObject({ token: w.tokens.ab, otherHolderCount: 1, disclosedHolders: [] });
    },
  },
  'Query.alerts': {
    access: 'member',
    doc: `query($after: String) { alerts(first: 100, after: $after) { edges { cursor node { ${ALERT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
    attack: async (w, send) => {
      const doc = `query($after: String, $filter: AlertFilter, $orderBy: AlertOrder) {
        alerts(first: 100, after: $after, filter: $filter, orderBy: $orderBy) {
          edges { cursor node { ${ALERT_FIELDS} closeReason lastObservedOn priority } } pageInfo { hasNextPage endCursor } } }`;
      const all = await send(doc, {}, w.tokenA);
      expect(all.errors).toBeUndefined();
      const ids = (all.data!.alerts as { edges: { node: { id: string } }[] }).edges.map((e) => e.node.id);
      expect(ids.sort()).toEqual([...w.aAlertIds].sort());
      for (const filter of [{ status: 'OPEN' }, { status: 'CLOSED' }, { type: 'ACCOUNT_SIGNAL' }, { since: '2000-01-01T00:00:00Z' }]) {
        const res = await send(doc, { filter }, w.tokenA);
        expect(res.errors).toBeUndefined();
        for (const e of (res.data!.alerts as { edges: { node: { id: string } }[] }).edges) expect(w.aAlertIds).toContain(e.node.id);
      }
      // B's own cursor, replayed by A, only positions within A's list.
      const bPage = await ctxRef.gql(doc, {}, w.tokenB);
      const bCursor = (bPage.data!.alerts as { edges: { cursor: string }[] }).edges[0].cursor;
      const afterB = await send(doc, { after: bCursor }, w.tokenA);
      expect(afterB.errors).toBeUndefined();
      for (const e of (afterB.data!.alerts as { edges: { node: { id: string } }[] }).edges) expect(w.aAlertIds).toContain(e.node.id);
      // By priority: the same alerts of A's alone, and B's priority cursor only positions within A's list.
      const byPriority = await send(doc, { orderBy: 'PRIORITY' }, w.tokenA);
      expect(byPriority.errors).toBeUndefined();
      expect((byPriority.data!.alerts as { edges: { node: { id: string } }[] }).edges.map((e) => e.node.id).sort()).toEqual(
        [...w.aAlertIds].sort(),
      );
      const bPriorityCursor = ((await ctxRef.gql(doc, { orderBy: 'PRIORITY' }, w.tokenB)).data!.alerts as { edges: { cursor: string }[] })
        .edges[0].cursor;
      const afterBPriority = await send(doc, { orderBy: 'PRIORITY', after: bPriorityCursor }, w.tokenA);
      expect(afterBPriority.errors).toBeUndefined();
      for (const e of (afterBPriority.data!.alerts as { edges: { node: { id: string } }[] }).edges)
        expect(w.aAlertIds).toContain(e.node.id);
    },
  },
  'Query.webhookEndpoints': {
    access: 'member',
    doc: `{ webhookEndpoints { ${ENDPOINT_FIELDS} } }`,
    attack: async (w, send) => {
      const res = await send(`{ webhookEndpoints { ${ENDPOINT_FIELDS} } }`, {}, w.tokenA);
      expect(res.errors).toBeUndefined();
      expect((res.data!.webhookEndpoints as { id: string }[]).map((e) => e.id)).toEqual([w.aEndpointId]);
    },
  },
  'Query.webhookDeliveries': {
    access: 'member',
    doc: `query($id: ID!) { webhookDeliveries(endpointId: $id, first: 100) { edges { node { ${DELIVERY_FIELDS} } } } }`,
    vars: (w) => ({ id: w.bEndpoint.id }),
    attack: async (w, send) => {
      const doc = `query($id: ID!, $status: WebhookDeliveryStatus) {
        webhookDeliveries(endpointId: $id, first: 100, filter: { status: $status }) { edges { node { ${DELIVERY_FIELDS} } } } }`;
      await refusedLikeNothing(send, doc, { id: w.bEndpoint.id }, { id: ghostId() }, w.tokenA, 'NOT_FOUND');
      await refusedLikeNothing(
        send,
        doc,
        { id: w.bEndpoint.id, status: 'SUCCEEDED' },
        { id: ghostId(), status: 'SUCCEEDED' },
        w.tokenA,
        'NOT_FOUND',
      );
      // A delivery id is not an endpoint id either.
      await refusedLikeNothing(send, doc, { id: w.bDeliveries[0].id }, { id: ghostId() }, w.tokenA, 'NOT_FOUND');
    },
  },
  'Query.webhookSigningKeys': {
    access: 'member',
    doc: '{ webhookSigningKeys { kid publicKey createdAt } }',
    attack: async (w, send) => {
      // The server's own public keys, the same for every member: nothing of B's can be in them.
      const res = await send('{ webhookSigningKeys { kid publicKey createdAt } }', {}, w.tokenA);
      expect(res.errors).toBeUndefined();
      for (const key of res.data!.webhookSigningKeys as { publicKey: string }[]) expect(key.publicKey).toMatch(/^whpk_/);
    },
  },
  'Query.members': {
    access: 'admin',
    doc: `{ members(first: 100) { edges { node { ${MEMBER_FIELDS} } } } }`,
    attack: async (w, send) => adminOnly(send, `{ members(first: 100) { edges { node { ${MEMBER_FIELDS} } } } }`, {}, w.tokenA),
  },
  'Query.auditLog': {
    access: 'admin',
    doc: '{ auditLog(first: 100) { edges { node { id action actorLabel targetId details } } } }',
    attack: async (w, send) => {
      await adminOnly(send, '{ auditLog(first: 100) { edges { node { id action actorLabel targetId details } } } }', {}, w.tokenA);
      await adminOnly(send, 'query($a: String) { auditLog(action: $a) { edges { node { id } } } }', { a: 'invitation.created' }, w.tokenA);
    },
  },
  'Query.campaigns': {
    access: 'member',
    doc: `query($after: String) { campaigns(first: 100, after: $after) { edges { cursor node { ${CAMPAIGN_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
    attack: async (w, send) => {
      const doc = `query($filter: CampaignFilter) { campaigns(first: 100, filter: $filter) { edges { cursor node { ${CAMPAIGN_FIELDS} } } } }`;
      for (const filter of [null, { status: 'ACTIVE' }, { status: 'CLOSED' }]) {
        const res = await send(doc, { filter }, w.tokenA);
        expect(res.errors).toBeUndefined();
        const ids = (res.data!.campaigns as { edges: { node: { id: string } }[] }).edges.map((e) => e.node.id);
        // Only A's own campaign with C, never B's with C.
        expect(ids).toEqual(filter?.status === 'CLOSED' ? [] : [w.aCampaignId]);
      }
    },
  },
  'Query.campaign': {
    access: 'member',
    doc: `query($id: ID!) { campaign(id: $id) { ${CAMPAIGN_FIELDS} } }`,
    vars: (w) => ({ id: w.bCampaignId }),
    attack: async (w, send) => {
      const doc = `query($id: ID!) { campaign(id: $id) { ${CAMPAIGN_FIELDS} } }`;
      await refusedLikeNothing(send, doc, { id: w.bCampaignId }, { id: ghostId() }, w.tokenA, 'NOT_FOUND');
      const own = await send(doc, { id: w.aCampaignId }, w.tokenA);
      expect(own.errors).toBeUndefined();
      expect(own.data!.campaign).toMatchObject({ memberCount: 2, linkingTokens: [{ token: w.tokens.ac }] });
    },
  },
  'Query.overCapCampaigns': {
    access: 'admin',
    doc: '{ overCapCampaigns { id status memberCount bundleCount overCapAt } }',
    attack: async (w, send) => adminOnly(send, '{ overCapCampaigns { id status memberCount bundleCount overCapAt } }', {}, w.tokenA),
  },
  'Query.memberActivity': {
    access: 'admin',
    doc: '{ memberActivity(windowHours: 720) { memberId name clientId submissions indicators probing } }',
    attack: async (w, send) =>
      adminOnly(send, '{ memberActivity(windowHours: 720) { memberId name clientId submissions indicators probing } }', {}, w.tokenA),
  },
  'Query.memberHealth': {
    access: 'admin',
    doc: '{ memberHealth { memberId lastSubmissionAt indicatorsHeld webhookFailureRate oldestUndeliveredAt keyLastUsedAt attention } }',
    attack: async (w, send) => {
      await adminOnly(send, '{ memberHealth { memberId lastSubmissionAt indicatorsHeld webhookFailureRate attention } }', {}, w.tokenA);
      // The admin may see B (outside the marker check): figures from B's real data.
      const res = await ctxRef.gql('{ memberHealth { memberId indicatorsHeld webhookEndpoints } }', {}, w.tokenAdmin);
      expect(res.errors).toBeUndefined();
      const b = (res.data!.memberHealth as { memberId: string; indicatorsHeld: number; webhookEndpoints: number }[]).find(
        (m) => m.memberId === w.b.id,
      );
      expect(b?.indicatorsHeld).toBeGreaterThan(0);
      expect(b?.webhookEndpoints).toBeGreaterThan(0);
    },
  },
  'Query.federationReport': {
    access: 'admin',
    doc: 'query($f: DateTime!, $t: DateTime!) { federationReport(from: $f, to: $t) { activeMembers { value } disclosedMembers { name } } }',
    vars: () => ({ f: new Date(Date.now() - 86_400_000).toISOString(), t: new Date(Date.now() + 60_000).toISOString() }),
    attack: async (w, send) => {
      const doc =
        'query($f: DateTime!, $t: DateTime!) { federationReport(from: $f, to: $t) { activeMembers { value } byType { indicators { value } } disclosedMembers { name } } }';
      const vars = { f: new Date(Date.now() - 86_400_000).toISOString(), t: new Date(Date.now() + 60_000).toISOString() };
      await adminOnly(send, doc, vars, w.tokenA);
      // For an admin: no per-member line of B, which disclosed nothing.
      const res = await ctxRef.gql(doc, vars, w.tokenAdmin);
      expect(res.errors).toBeUndefined();
      const report = res.data!.federationReport as { disclosedMembers: { name: string }[] };
      expect(report.disclosedMembers.map((m) => m.name)).not.toContain(w.b.name);
    },
  },
  'Query.quarantinedTokens': {
    access: 'admin',
    doc: '{ quarantinedTokens(first: 100) { edges { node { token falsePositives confirmations quarantinedAt } } } }',
    attack: async (w, send) =>
      adminOnly(
        send,
        '{ quarantinedTokens(first: 100) { edges { node { token falsePositives confirmations quarantinedAt } } } }',
        {},
        w.tokenA,
      ),
  },
  'Query.suppressedTokens': {
    access: 'admin',
    doc: '{ suppressedTokens(first: 100) { edges { node { token reason } } } }',
    attack: async (w, send) => adminOnly(send, '{ suppressedTokens(first: 100) { edges { node { token reason } } } }', {}, w.tokenA),
  },

  // -------------------------------------------------------------- mutations
  'Mutation.acceptInvitation': {
    access: 'public',
    why: 'the invited organization has no key and so no access token yet; the one-time invitation token is its credential',
    doc: 'mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { id clientId name contactEmail keys { kid } } }',
    vars: (w) => ({ i: { invitationToken: w.bInvitationToken, publicJwk: w.b2Key.publicJwk } }),
    attack: async (w, send) => {
      // B's (already used) invitation token cannot attach A's key to B, with or without A's access token.
      const doc = 'mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { id clientId name contactEmail keys { kid } } }';
      const attacker = await newKeyPair();
      for (const token of [undefined, w.tokenA]) {
        const res = await send(doc, { i: { invitationToken: w.bInvitationToken, publicJwk: attacker.publicJwk } }, token);
        expect(res.data ?? null).toBeNull();
        expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVITATION_USED' });
      }
    },
  },
  'Mutation.submitIndicators': {
    access: 'member',
    doc: 'mutation($i: SubmitIndicatorsInput!) { submitIndicators(input: $i) { submissionId accepted duplicates } }',
    vars: (w) => ({
      i: { idempotencyKey: w.bIdempotencyKey, indicators: [{ type: 'ACCOUNT_SIGNAL', keyEpoch: EPOCH, token: testToken('anon') }] },
    }),
    attack: async (w, send) => {
      // B's idempotency key, replayed by A, is A's own key: a new submission of A's, not B's result.
      const res = await send(
        'mutation($i: SubmitIndicatorsInput!) { submitIndicators(input: $i) { submissionId accepted duplicates } }',
        {
          i: { idempotencyKey: w.bIdempotencyKey, indicators: [{ type: 'ACCOUNT_SIGNAL', keyEpoch: EPOCH, token: testToken('a-fresh') }] },
        },
        w.tokenA,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.submitIndicators).toMatchObject({ accepted: 1, duplicates: 0 });
      const id = (res.data!.submitIndicators as { submissionId: string }).submissionId;
      expect(Object.values(w.markers)).not.toContain(id);
      expect(await one('SELECT member_id FROM submissions WHERE id = $1', [id])).toBe(w.a.id);
    },
  },
  'Query.oprfKeys': {
    access: 'member',
    doc: '{ oprfKeys { keyEpoch suite mode publicKey notBefore notAfter status } }',
    attack: async (w, send) => {
      // The federation's public keys: the same list for every member, nothing of any member in it.
      const doc = '{ oprfKeys { keyEpoch suite mode publicKey notBefore notAfter status } }';
      const [asA, asB] = [await send(doc, {}, w.tokenA), await send(doc, {}, w.tokenB)];
      expect(asA.errors).toBeUndefined();
      expect(asA.data).toEqual(asB.data);
    },
  },
  'Mutation.evaluateBlinded': {
    access: 'member',
    doc: 'mutation($i: EvaluateBlindedInput!) { evaluateBlinded(input: $i) { keyEpoch evaluatedElements proof } }',
    vars: () => ({ i: { keyEpoch: 'iso-two-key', type: 'ACCOUNT_SIGNAL', blindedElements: [BLINDED_ELEMENT] } }),
    attack: async (w, send) => {
      // The walk's submissions use EPOCH: it becomes an HMAC epoch, so they stay accepted while a two-key epoch exists.
      await createKeyEpoch(ctxRef.config, { epoch: EPOCH, notBefore: '2026-10-01', notAfter: '2027-01-01', scheme: 'HMAC' });
      await createKeyEpoch(ctxRef.config, { epoch: 'iso-two-key', notBefore: '2026-01-01', notAfter: '2099-01-01' });
      try {
        const doc = 'mutation($i: EvaluateBlindedInput!) { evaluateBlinded(input: $i) { keyEpoch evaluatedElements proof } }';
        const res = await send(
          doc,
          { i: { keyEpoch: 'iso-two-key', type: 'ACCOUNT_SIGNAL', blindedElements: [BLINDED_ELEMENT] } },
          w.tokenA,
        );
        expect(res.errors).toBeUndefined();
        // A's evaluations are A's: its budget window and audit entry, none of B's.
        expect(
          await one(`SELECT count(*)::int FROM audit_events WHERE action = 'oprf.evaluations' AND actor_member_id = $1`, [w.a.id]),
        ).toBe(1);
        expect(
          await one(`SELECT count(*)::int FROM audit_events WHERE action = 'oprf.evaluations' AND actor_member_id = $1`, [w.b.id]),
        ).toBe(0);
      } finally {
        await owner.query('DELETE FROM key_epochs');
      }
    },
  },
  'Mutation.retractIndicators': {
    access: 'member',
    doc: 'mutation($i: RetractIndicatorsInput!) { retractIndicators(input: $i) { retracted } }',
    vars: (w) => ({ i: { type: 'ACCOUNT_SIGNAL', keyEpoch: EPOCH, tokens: [w.tokens.bOnly] } }),
    attack: async (w, send) => {
      // A retracting B's tokens removes nothing of B's (the unchanged-state check after each scenario proves it).
      const res = await send(
        'mutation($i: RetractIndicatorsInput!) { retractIndicators(input: $i) { retracted } }',
        { i: { type: 'ACCOUNT_SIGNAL', keyEpoch: EPOCH, tokens: [w.tokens.bOnly, w.tokens.bc] } },
        w.tokenA,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.retractIndicators).toEqual({ retracted: 0 });
    },
  },
  'Mutation.submitTemplateSignatures': {
    access: 'member',
    doc: TEMPLATE_SUBMIT,
    vars: (w) => ({ i: { idempotencyKey: w.bTemplate.idempotencyKey, signatures: [{ keyEpoch: EPOCH, bands: bandsOf('anon') }] } }),
    attack: async (w, send) => {
      // B's idempotency key, replayed by A, is A's own key: a new submission of A's, not B's result.
      const res = await send(
        TEMPLATE_SUBMIT,
        { i: { idempotencyKey: w.bTemplate.idempotencyKey, signatures: [{ keyEpoch: EPOCH, bands: bandsOf('a-fresh') }] } },
        w.tokenA,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.submitTemplateSignatures).toMatchObject({ accepted: 1, duplicates: 0 });
      const id = (res.data!.submitTemplateSignatures as { submissionId: string }).submissionId;
      expect(Object.values(w.markers)).not.toContain(id);
      expect(await one('SELECT member_id FROM template_signature_submissions WHERE id = $1', [id])).toBe(w.a.id);
    },
  },
  'Mutation.retractTemplateSignatures': {
    access: 'member',
    doc: 'mutation($i: RetractTemplateSignaturesInput!) { retractTemplateSignatures(input: $i) { retracted } }',
    vars: (w) => ({ i: { externalRefs: [w.bTemplate.externalRef] } }),
    attack: async (w, send) => {
      // A naming B's externalRef retracts nothing of B's (the unchanged-state check after each scenario proves it).
      const res = await send(
        'mutation($i: RetractTemplateSignaturesInput!) { retractTemplateSignatures(input: $i) { retracted } }',
        { i: { externalRefs: [w.bTemplate.externalRef] } },
        w.tokenA,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.retractTemplateSignatures).toEqual({ retracted: 0 });
    },
  },
  'Mutation.submitBundles': {
    access: 'member',
    doc: SUBMIT_BUNDLES,
    vars: (w) => bundlesInput([[w.markers['B bundleRef'], [testToken('anon')]]]),
    attack: async (w, send) => {
      // A using B's bundleRef makes a bundle of A's own: B's bundle is untouched (the unchanged-state check).
      const res = await send(SUBMIT_BUNDLES, bundlesInput([[w.markers['B bundleRef'], [testToken('a-alone')]]]), w.tokenA);
      expect(res.errors).toBeUndefined();
      expect(res.data!.submitBundles).toMatchObject({ accepted: 1, duplicates: 0 });
    },
  },
  'Mutation.retractBundles': {
    access: 'member',
    doc: 'mutation($r: [String!]!) { retractBundles(bundleRefs: $r) { retracted } }',
    vars: (w) => ({ r: [w.markers['B bundleRef']] }),
    attack: async (w, send) => {
      // Removes A's own bundle of that name (made by the submitBundles scenario, if it ran), never B's.
      const res = await send(
        'mutation($r: [String!]!) { retractBundles(bundleRefs: $r) { retracted } }',
        { r: [w.markers['B bundleRef']] },
        w.tokenA,
      );
      expect(res.errors).toBeUndefined();
      expect(await one('SELECT count(*)::int FROM bundles WHERE member_id = $1', [w.b.id])).toBe(1);
    },
  },
  'Mutation.acknowledgeAlert': {
    access: 'member',
    doc: 'mutation($id: ID!) { acknowledgeAlert(id: $id, verdict: FALSE_POSITIVE, note: "mine now") { id verdict verdictNote } }',
    vars: (w) => ({ id: w.bAlertIds[0] }),
    attack: async (w, send) => {
      const doc = `mutation($id: ID!) { acknowledgeAlert(id: $id, verdict: FALSE_POSITIVE, note: "mine now") { ${ALERT_FIELDS} } }`;
      for (const id of w.bAlertIds) await refusedLikeNothing(send, doc, { id }, { id: ghostId() }, w.tokenA, 'NOT_FOUND');
    },
  },
  'Mutation.addMemberKey': {
    access: 'member',
    doc: 'mutation($k: JSONObject!) { addMemberKey(publicJwk: $k) { kid status } }',
    vars: (w) => ({ k: w.b2Key.publicJwk }),
    attack: async (w, send) => {
      // B's registered public key cannot be taken over by A (it stays B's: the state check after this scenario).
      const res = await send(
        'mutation($k: JSONObject!) { addMemberKey(publicJwk: $k) { kid status } }',
        { k: w.b2Key.publicJwk },
        w.tokenA,
      );
      expect(res.data ?? null).toBeNull();
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'KEY_ALREADY_REGISTERED' });
      expect(await one('SELECT count(*)::int FROM member_keys WHERE member_id = $1', [w.a.id])).toBe(1);
    },
  },
  'Mutation.revokeMemberKey': {
    access: 'member',
    doc: 'mutation($kid: String!) { revokeMemberKey(kid: $kid) { kid status } }',
    vars: (w) => ({ kid: w.b2Key.kid }),
    attack: async (w, send) => {
      const doc = 'mutation($kid: String!) { revokeMemberKey(kid: $kid) { kid status revokedAt } }';
      for (const kid of [w.b.key.kid, w.b2Key.kid]) {
        await refusedLikeNothing(send, doc, { kid }, { kid: (await newKeyPair()).kid }, w.tokenA, 'NOT_FOUND');
      }
    },
  },
  'Mutation.createWebhookEndpoint': {
    access: 'member',
    doc: 'mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret endpoint { id } } }',
    vars: (w) => ({ i: { url: w.bEndpoint.url, eventTypes: ['alert.created'] } }),
    attack: async (w, send) => {
      // A new endpoint is A's own, whatever it points at, and shows nothing of B's endpoint.
      const res = await send(
        `mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret endpoint { ${ENDPOINT_FIELDS} } } }`,
        { i: { url: receiverRef.url('/a-second'), eventTypes: ['alert.created'] } },
        w.tokenA,
      );
      expect(res.errors).toBeUndefined();
      const created = res.data!.createWebhookEndpoint as { secret: string; endpoint: { id: string } };
      expect(await one('SELECT member_id FROM webhook_endpoints WHERE id = $1', [created.endpoint.id])).toBe(w.a.id);
      const gone = await send('mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', { id: created.endpoint.id }, w.tokenA);
      expect(gone.data).toEqual({ deleteWebhookEndpoint: true });
    },
  },
  'Mutation.updateWebhookEndpoint': {
    access: 'member',
    doc: 'mutation($id: ID!, $i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $i) { id url } }',
    vars: (w) => ({ id: w.bEndpoint.id, i: { enabled: false } }),
    attack: async (w, send) => {
      const doc = `mutation($id: ID!, $i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $i) { ${ENDPOINT_FIELDS} } }`;
      for (const i of [{ url: receiverRef.url('/stolen') }, { enabled: false }, { description: 'A was here' }, {}]) {
        await refusedLikeNothing(send, doc, { id: w.bEndpoint.id, i }, { id: ghostId(), i }, w.tokenA, 'NOT_FOUND');
      }
    },
  },
  'Mutation.rotateWebhookSecret': {
    access: 'member',
    doc: 'mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { id url } } }',
    vars: (w) => ({ id: w.bEndpoint.id }),
    attack: async (w, send) => {
      const doc = `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { ${ENDPOINT_FIELDS} } } }`;
      await refusedLikeNothing(send, doc, { id: w.bEndpoint.id }, { id: ghostId() }, w.tokenA, 'NOT_FOUND');
    },
  },
  'Mutation.deleteWebhookEndpoint': {
    access: 'member',
    doc: 'mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }',
    vars: (w) => ({ id: w.bEndpoint.id }),
    attack: async (w, send) => {
      await refusedLikeNothing(
        send,
        'mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }',
        { id: w.bEndpoint.id },
        { id: ghostId() },
        w.tokenA,
        'NOT_FOUND',
      );
    },
  },
  'Mutation.sendTestWebhook': {
    access: 'member',
    doc: 'mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }',
    vars: (w) => ({ id: w.bEndpoint.id }),
    attack: async (w, send) => {
      const doc = `mutation($id: ID!) { sendTestWebhook(endpointId: $id) { ${DELIVERY_FIELDS} } }`;
      await refusedLikeNothing(send, doc, { id: w.bEndpoint.id }, { id: ghostId() }, w.tokenA, 'NOT_FOUND');
    },
  },
  'Mutation.redeliverWebhook': {
    access: 'member',
    doc: 'mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }',
    vars: (w) => ({ id: w.bDeliveries[0].id }),
    attack: async (w, send) => {
      const doc = `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { ${DELIVERY_FIELDS} } }`;
      for (const { id } of w.bDeliveries) await refusedLikeNothing(send, doc, { id }, { id: ghostId() }, w.tokenA, 'NOT_FOUND');
    },
  },
  'Mutation.createInvitation': {
    access: 'admin',
    doc: 'mutation { createInvitation(input: { organizationName: "Shadow Lab", contactEmail: "x@shadow.example" }) { invitationToken } }',
    attack: async (w, send) =>
      adminOnly(
        send,
        'mutation { createInvitation(input: { organizationName: "Shadow Lab", contactEmail: "x@shadow.example" }) { invitationToken } }',
        {},
        w.tokenA,
      ),
  },
  'Mutation.withdrawInvitation': {
    access: 'admin',
    doc: 'mutation($id: ID!) { withdrawInvitation(invitationId: $id) { id withdrawnAt } }',
    vars: (w) => ({ id: w.markers['B invitation id'] }),
    attack: async (w, send) =>
      adminOnly(
        send,
        'mutation($id: ID!) { withdrawInvitation(invitationId: $id) { id organizationName clientId } }',
        { id: w.markers['B invitation id'] },
        w.tokenA,
      ),
  },
  'Mutation.suspendMember': {
    access: 'admin',
    doc: 'mutation($id: ID!) { suspendMember(id: $id, reason: "takeover") { id status } }',
    vars: (w) => ({ id: w.b.id }),
    attack: async (w, send) =>
      adminOnly(send, 'mutation($id: ID!) { suspendMember(id: $id, reason: "takeover") { id status name } }', { id: w.b.id }, w.tokenA),
  },
  'Mutation.reinstateMember': {
    access: 'admin',
    doc: 'mutation($id: ID!) { reinstateMember(id: $id) { id status } }',
    vars: (w) => ({ id: w.b.id }),
    attack: async (w, send) =>
      adminOnly(send, 'mutation($id: ID!) { reinstateMember(id: $id) { id status name } }', { id: w.b.id }, w.tokenA),
  },
  'Mutation.liftProbingThrottle': {
    access: 'admin',
    doc: 'mutation($id: ID!) { liftProbingThrottle(memberId: $id, reason: "mine") { memberId throttled } }',
    vars: (w) => ({ id: w.a.id }),
    attack: async (w, send) => {
      // Neither A's own throttle (to probe on) nor B's.
      const doc = 'mutation($id: ID!) { liftProbingThrottle(memberId: $id, reason: "mine") { memberId throttled since reason } }';
      await adminOnly(send, doc, { id: w.a.id }, w.tokenA);
      await adminOnly(send, doc, { id: w.b.id }, w.tokenA);
    },
  },
  'Mutation.createAuditCheckpoint': {
    access: 'admin',
    doc: 'mutation { createAuditCheckpoint { id headId } }',
    attack: async (w, send) => {
      const before = await one('SELECT count(*)::int AS n FROM audit_checkpoints', []);
      await adminOnly(send, 'mutation { createAuditCheckpoint { id headId headHash jws } }', {}, w.tokenA);
      expect(await one('SELECT count(*)::int AS n FROM audit_checkpoints', [])).toBe(before);
    },
  },
  'Mutation.setSubmissionQuota': {
    access: 'admin',
    doc: 'mutation($id: ID!) { setSubmissionQuota(memberId: $id, indicatorsPerHour: 0) { id } }',
    vars: (w) => ({ id: w.b.id }),
    attack: async (w, send) => {
      // Neither B's budget (to silence B) nor A's own (to lift its limit).
      const doc = 'mutation($id: ID!, $n: Int) { setSubmissionQuota(memberId: $id, indicatorsPerHour: $n) { id name } }';
      await adminOnly(send, doc, { id: w.b.id, n: 0 }, w.tokenA);
      await adminOnly(send, doc, { id: w.a.id, n: 1_000_000_000 }, w.tokenA);
      expect(await one('SELECT indicators_per_hour FROM members WHERE id = $1', [w.a.id])).toBeNull();
    },
  },
  'Mutation.suppressToken': {
    access: 'admin',
    doc: 'mutation($t: IndicatorToken!) { suppressToken(input: { type: ACCOUNT_SIGNAL, keyEpoch: "2026-q4", token: $t, reason: "mute B" }) { token } }',
    vars: (w) => ({ t: w.tokens.bc }),
    attack: async (w, send) =>
      adminOnly(
        send,
        'mutation($t: IndicatorToken!) { suppressToken(input: { type: ACCOUNT_SIGNAL, keyEpoch: "2026-q4", token: $t, reason: "mute B" }) { token } }',
        { t: w.tokens.bc },
        w.tokenA,
      ),
  },
  'Mutation.releaseQuarantine': {
    access: 'admin',
    doc: 'mutation($t: IndicatorToken!) { releaseQuarantine(input: { type: ACCOUNT_SIGNAL, keyEpoch: "2026-q4", token: $t }) }',
    vars: (w) => ({ t: w.tokens.bc }),
    attack: async (w, send) => {
      // Neither to let a token back into matching nor to move it onto the suppression list.
      const doc = 'mutation($i: ReleaseQuarantineInput!) { releaseQuarantine(input: $i) }';
      const input = { type: 'ACCOUNT_SIGNAL', keyEpoch: '2026-q4', token: w.tokens.bc };
      await adminOnly(send, doc, { i: input }, w.tokenA);
      await adminOnly(send, doc, { i: { ...input, suppress: true, reason: 'mute B' } }, w.tokenA);
    },
  },
  'Mutation.unsuppressToken': {
    access: 'admin',
    doc: 'mutation($t: IndicatorToken!) { unsuppressToken(input: { type: ACCOUNT_SIGNAL, keyEpoch: "2026-q4", token: $t }) }',
    vars: (w) => ({ t: w.tokens.suppressed }),
    attack: async (w, send) =>
      adminOnly(
        send,
        'mutation($t: IndicatorToken!) { unsuppressToken(input: { type: ACCOUNT_SIGNAL, keyEpoch: "2026-q4", token: $t }) }',
        { t: w.tokens.suppressed },
        w.tokenA,
      ),
  },

  // ---------------------------------------------------------- subscriptions
  'Subscription.campaignEvents': {
    access: 'member',
    attack: async (w) => {
      const WebSocketImpl = createRequire(import.meta.url)('ws') as unknown;
      const listen = (token?: string) => {
        const got = { events: [] as unknown[], errors: [] as unknown[], closed: undefined as number | undefined };
        const client = createClient({
          url: `${ctxRef.url.replace(/^http/, 'ws')}/graphql`,
          webSocketImpl: WebSocketImpl,
          connectionParams: token ? { authorization: `Bearer ${token}` } : {},
          retryAttempts: 0,
          lazy: false,
          onNonLazyError: () => undefined,
          on: { closed: (e) => (got.closed ??= (e as { code: number }).code) },
        });
        client.subscribe(
          { query: `subscription { campaignEvents { type campaignId version occurredAt campaign { ${CAMPAIGN_FIELDS} } } }` },
          {
            next: (r) => (r.data ? got.events.push(r.data.campaignEvents) : got.errors.push(r.errors)),
            error: (e) => got.errors.push(e),
            complete: () => undefined,
          },
        );
        return { got, client };
      };
      const [onA, onB, anonymous] = [listen(w.tokenA), listen(w.tokenB), listen()];
      try {
        await new Promise((r) => setTimeout(r, 300));
        const d = await ctxRef.newMember();
        const tokenD = await d.token();
        // D joins B's campaign: B hears of it, A must not.
        await ctxRef.gql(SUBMIT_BUNDLES, bundlesInput([['D-1', [w.tokens.bc]]]), tokenD);
        await until(() => onB.got.events.length >= 1, 'B hears of its campaign');
        // Then D joins A's (positive control).
        await ctxRef.gql(SUBMIT_BUNDLES, bundlesInput([['D-2', [w.tokens.ac]]]), tokenD);
        await until(() => onA.got.events.length >= 1, 'A hears of its own campaign');
        await new Promise((r) => setTimeout(r, 300));
        expect(onA.got.events.map((e) => (e as { campaignId: string }).campaignId)).toEqual([w.aCampaignId]);
        expect(leaks(JSON.stringify(onA.got.events), w)).toEqual([]);
        expect(onA.got.errors).toEqual([]);
        await until(() => anonymous.got.closed !== undefined, 'anonymous connection closed');
        expect(anonymous.got.closed).toBe(4403);
        expect(anonymous.got.events).toEqual([]);
      } finally {
        for (const s of [onA, onB, anonymous]) await s.client.dispose();
      }
    },
  },
  'Subscription.alertEvents': {
    access: 'member',
    attack: async (w) => {
      // B's subscriber is the control: it must see the event A must not.
      const onA = new Subscriber(ctxRef, { authorization: `Bearer ${w.tokenA}` }, ALERT_FIELDS);
      const onB = new Subscriber(ctxRef, { authorization: `Bearer ${w.tokenB}` }, ALERT_FIELDS);
      const anonymous = new Subscriber(ctxRef, {}, ALERT_FIELDS);
      try {
        await new Promise((r) => setTimeout(r, 300));
        // A new holder joins B's and C's token: B's alert changes, A holds nothing of it.
        const d = await ctxRef.newMember();
        await submitAs(await d.token(), [{ token: w.tokens.bc }]);
        await until(() => onB.events.length >= 1, 'B hears of its alert');
        // Then one of A's own (positive control: A's subscription works).
        await submitAs(await d.token(), [{ token: w.tokens.ac }]);
        await until(() => onA.events.length >= 1, 'A hears of its own alert');
        await new Promise((r) => setTimeout(r, 300));
        expect(onB.events.map((e) => e.alert.id)).toContain(w.bAlertIds[0]);
        expect(onA.events.map((e) => e.alert.id)).toEqual([w.aAlertIds[1]]);
        expect(leaks(JSON.stringify(onA.events), w)).toEqual([]);
        expect(onA.errors).toEqual([]);
        await until(() => anonymous.closed !== undefined, 'anonymous connection closed');
        expect(anonymous.closed!.code).toBe(4403);
        expect(anonymous.events).toEqual([]);
      } finally {
        for (const s of [onA, onB, anonymous]) await s.dispose();
      }
    },
  },
};

/** The labels of B's markers found in `text`. */
function leaks(text: string, w: World): string[] {
  return Object.entries(w.markers)
    .filter(([, value]) => text.includes(value))
    .map(([label]) => label);
}

// The scenarios reach the context, the receiver and the database through these (set in beforeAll).
let ctxRef: TestContext;
let receiverRef: WebhookReceiver;
/** The tables' owner: the test's view of the database, which row-level security does not narrow. */
let owner: pg.Client;

/** The first column of the first row. */
async function one(sql: string, params: unknown[] = []): Promise<unknown> {
  const { rows } = await owner.query({ text: sql, values: params, rowMode: 'array' });
  return (rows[0] as unknown[] | undefined)?.[0];
}

/** Waits until the worker has handled every outbox event. */
const drained = () =>
  until(async () => (await one('SELECT count(*)::int FROM outbox_events WHERE processed_at IS NULL')) === 0, 'outbox drained');

async function submitAs(
  token: string,
  items: { token: string; externalRef?: string; discloseIdentity?: boolean }[],
  idempotencyKey: string = randomUUID(),
) {
  const res = await ctxRef.gql<{ submitIndicators: { submissionId: string } }>(
    'mutation($i: SubmitIndicatorsInput!) { submitIndicators(input: $i) { submissionId accepted duplicates } }',
    { i: { idempotencyKey, indicators: items.map((i) => ({ type: 'ACCOUNT_SIGNAL', keyEpoch: EPOCH, ...i })) } },
    token,
  );
  if (!res.data) throw new Error(`submitIndicators failed: ${JSON.stringify(res.errors)}`);
  return res.data.submitIndicators.submissionId;
}

describe('isolation: every operation, as member A against member B', () => {
  let ctx: TestContext;
  let worker: INestApplication;
  let receiver: WebhookReceiver;
  let w: World;
  let operations: string[];
  const answers: string[] = [];

  /** Sends a GraphQL request and keeps the raw answer for the marker check. */
  const send: Send = async (doc, vars, token) => {
    const res = await ctx.gql(doc, vars, token);
    answers.push(JSON.stringify(res));
    expect(res.status, JSON.stringify(res)).toBeLessThan(500);
    expect(JSON.stringify(res.errors ?? [])).not.toContain('INTERNAL_SERVER_ERROR');
    return res;
  };

  /** B's rows, and the admin-only global tables, as the database (its owner, whom row-level security does not bind) holds them. */
  const stateOfB = async () =>
    one(
      `SELECT json_build_object(
         'member', (SELECT row_to_json(m) FROM members m WHERE id = $1),
         'keys', (SELECT json_agg(k ORDER BY kid) FROM member_keys k WHERE member_id = $1),
         'indicators', (SELECT json_agg(i ORDER BY token) FROM indicators i WHERE member_no = (SELECT member_no FROM members WHERE id = $1)),
         'submissions', (SELECT json_agg(s ORDER BY id) FROM submissions s WHERE member_id = $1),
         'template signatures', (SELECT json_agg(t ORDER BY id) FROM template_signatures t WHERE member_id = $1),
         'template submissions', (SELECT json_agg(t ORDER BY id) FROM template_signature_submissions t WHERE member_id = $1),
         'alerts', (SELECT json_agg(a ORDER BY id) FROM alerts a WHERE member_id = $1),
         'bundles', (SELECT json_agg(b ORDER BY id) FROM bundles b WHERE member_id = $1),
         'bundle tokens', (SELECT json_agg(t ORDER BY bundle_id, token) FROM bundle_tokens t WHERE member_id = $1),
         'endpoints', (SELECT json_agg(e ORDER BY id) FROM webhook_endpoints e WHERE member_id = $1),
         'deliveries', (SELECT json_agg(d ORDER BY d.id) FROM webhook_deliveries d WHERE d.endpoint_id IN (SELECT id FROM webhook_endpoints WHERE member_id = $1)),
         'members', (SELECT count(*) FROM members),
         'invitations', (SELECT json_agg(i ORDER BY id) FROM invitations i),
         'suppressed', (SELECT json_agg(s ORDER BY token) FROM suppressed_tokens s)
       )`,
      [w.b.id],
    );

  beforeAll(async () => {
    owner = await connectPg(process.env.DATABASE_URL!);
    ctx = ctxRef = await TestContext.start(POLICY);
    worker = await startWorker({ ...POLICY, WEBHOOK_RETRY_SCHEDULE: '0,100ms' });
    receiver = receiverRef = await WebhookReceiver.start();

    const admin = await ctx.newAdmin({ name: 'Operator' });
    const tokenAdmin = await admin.token();
    const a = await ctx.newMember({ name: 'Lab A' });
    const c = await ctx.newMember({ name: 'Lab C (discloses)' });

    // B joins the real way: an invitation, then acceptance with its own key; then a second key.
    const secret = randomUUID().slice(0, 8);
    const bName = `Lab B ${secret}`;
    const bEmail = `trust-${secret}@lab-b.example`;
    const invited = await ctx.gql<{
      createInvitation: { invitationToken: string; invitation: { id: string; clientId: string; memberId: string } };
    }>(
      'mutation($i: CreateInvitationInput!) { createInvitation(input: $i) { invitationToken invitation { id clientId memberId } } }',
      { i: { organizationName: bName, contactEmail: bEmail } },
      tokenAdmin,
    );
    const { invitationToken, invitation } = invited.data!.createInvitation;
    const bKey = await newKeyPair();
    const accepted = await ctx.gql('mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { id status } }', {
      i: { invitationToken, publicJwk: bKey.publicJwk },
    });
    expect(accepted.errors).toBeUndefined();
    const b: Party = {
      id: invitation.memberId,
      clientId: invitation.clientId,
      name: bName,
      key: bKey,
      token: async () => {
        const answer = await ctx.requestToken(await signAssertion(bKey, invitation.clientId, ctx.issuer));
        if (answer.status !== 200) throw new Error(JSON.stringify(answer.body));
        return answer.body.access_token!;
      },
    };
    const tokenB = await b.token();
    const b2Key = await newKeyPair('ES256');
    const added = await ctx.gql('mutation($k: JSONObject!) { addMemberKey(publicJwk: $k) { kid } }', { k: b2Key.publicJwk }, tokenB);
    expect(added.errors).toBeUndefined();

    // Endpoints first, so that the alerts below are delivered.
    const bUrl = receiver.url(`/b-${secret}`);
    const bDescription = `B's SOC pipeline ${secret}`;
    const created = await ctx.gql<{ createWebhookEndpoint: { secret: string; endpoint: { id: string } } }>(
      'mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret endpoint { id } } }',
      { i: { url: bUrl, description: bDescription, eventTypes: ['alert.created', 'alert.updated', 'alert.closed'] } },
      tokenB,
    );
    const bHook = { id: created.data!.createWebhookEndpoint.endpoint.id, secret: created.data!.createWebhookEndpoint.secret };
    const aHook = await ctx.newEndpoint(a, { url: receiver.url('/a'), description: 'A pipeline' });

    // Submissions. B never discloses its name; C does.
    const tokens = {
      bOnly: testToken('b-only'),
      bc: testToken('b-and-c'),
      ab: testToken('a-and-b'),
      ac: testToken('a-and-c'),
      suppressed: testToken('suppressed'),
    };
    const bIdempotencyKey = `b-batch-${secret}`;
    const tokenA = await a.token();
    const tokenC = await c.token();
    // Bundles first (a bundle's tokens are stored without discloseIdentity; C's own submission below sets it):
    // B's account and C's share the B+C token, A's and C's the A+C token: two campaigns.
    const bBundleRef = `B-account-${secret}`;
    for (const [token, bundles] of [
      [tokenB, [[bBundleRef, [tokens.bc, tokens.bOnly]]]],
      [
        tokenC,
        [
          ['C-account-1', [tokens.bc]],
          ['C-account-2', [tokens.ac]],
        ],
      ],
      [tokenA, [['A-account-1', [tokens.ac]]]],
    ] as [string, [string, string[]][]][]) {
      const res = await ctx.gql(SUBMIT_BUNDLES, bundlesInput(bundles), token);
      expect(res.errors).toBeUndefined();
    }
    const bSubmission = await submitAs(
      tokenB,
      [
        { token: tokens.bOnly, externalRef: `B-case-solo-${secret}` },
        { token: tokens.bc, externalRef: `B-case-bc-${secret}` },
        { token: tokens.ab, externalRef: `B-case-ab-${secret}` },
      ],
      bIdempotencyKey,
    );
    await submitAs(tokenA, [
      { token: tokens.ab, externalRef: 'A-case-ab' },
      { token: tokens.ac, externalRef: 'A-case-ac' },
    ]);
    await submitAs(tokenC, [
      { token: tokens.bc, discloseIdentity: true },
      { token: tokens.ac, discloseIdentity: true },
    ]);
    const bTemplate = { idempotencyKey: `b-templates-${secret}`, externalRef: `B-template-${secret}` };
    const bSigned = await ctx.gql(
      TEMPLATE_SUBMIT,
      {
        i: {
          idempotencyKey: bTemplate.idempotencyKey,
          signatures: [{ keyEpoch: EPOCH, bands: bandsOf(`b-${secret}`), externalRef: bTemplate.externalRef }],
        },
      },
      tokenB,
    );
    expect(bSigned.errors).toBeUndefined();
    await drained();

    const alertOf = async (memberId: string, token: string) =>
      (await one('SELECT a.id FROM alerts a JOIN matches m ON m.id = a.match_id WHERE a.member_id = $1 AND m.token = $2', [
        memberId,
        Buffer.from(token, 'hex'),
      ])) as string;
    const bAlertIds = [await alertOf(b.id, tokens.bc), await alertOf(b.id, tokens.ab)];
    const campaignOf = async (ref: string) => (await one('SELECT campaign_id FROM bundles WHERE bundle_ref = $1', [ref])) as string;
    const [bCampaignId, aCampaignId] = [await campaignOf(bBundleRef), await campaignOf('A-account-1')];
    expect(bCampaignId).toBeTruthy();
    expect(aCampaignId).toBeTruthy();
    const aAlertIds = [await alertOf(a.id, tokens.ab), await alertOf(a.id, tokens.ac)];

    // A test event too, then wait until every delivery to B is finished (redeliverWebhook needs finished ones).
    const test = await ctx.gql('mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }', { id: bHook.id }, tokenB);
    expect(test.errors).toBeUndefined();
    await until(async () => {
      const rows = (await owner.query<{ status: string }>('SELECT status FROM webhook_deliveries WHERE endpoint_id = $1', [bHook.id])).rows;
      return rows.length === 3 && rows.every((r) => r.status === 'SUCCEEDED');
    }, "B's three deliveries succeeded");
    await until(
      async () =>
        (await one("SELECT count(*)::int FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'SUCCEEDED'", [aHook.id])) === 2,
      "A's two deliveries",
    );
    const bDeliveries = (
      await owner.query<{ id: string; eventId: string }>(
        'SELECT id, event_id AS "eventId" FROM webhook_deliveries WHERE endpoint_id = $1',
        [bHook.id],
      )
    ).rows;

    // An admin suppression, for unsuppressToken to aim at.
    const sup = await ctx.gql(
      'mutation($t: IndicatorToken!) { suppressToken(input: { type: ACCOUNT_SIGNAL, keyEpoch: "2026-q4", token: $t, reason: "benign NAT" }) { token } }',
      { t: tokens.suppressed },
      tokenAdmin,
    );
    expect(sup.errors).toBeUndefined();
    await drained();

    w = {
      a,
      tokenA,
      b,
      tokenB,
      c,
      admin,
      tokenAdmin,
      b2Key,
      bInvitationToken: invitationToken,
      bIdempotencyKey,
      bAlertIds,
      aAlertIds,
      bEndpoint: { id: bHook.id, secret: bHook.secret, url: bUrl, description: bDescription },
      aEndpointId: aHook.id,
      bDeliveries,
      tokens,
      bTemplate,
      bCampaignId,
      aCampaignId,
      markers: {
        'B template externalRef': bTemplate.externalRef,
        'B band token': bandsOf(`b-${secret}`)[0],
        'B bundleRef': bBundleRef,
        'B campaign id': bCampaignId,
        'B name': bName,
        'B contact e-mail': bEmail,
        'B member id': b.id,
        'B client id': b.clientId,
        'B invitation id': invitation.id,
        'B kid 1': bKey.kid,
        'B kid 2': b2Key.kid,
        'B externalRef solo': `B-case-solo-${secret}`,
        'B externalRef bc': `B-case-bc-${secret}`,
        'B externalRef ab': `B-case-ab-${secret}`,
        'B-only token': tokens.bOnly,
        'B+C token': tokens.bc,
        'B submission id': bSubmission,
        'B alert id (bc)': bAlertIds[0],
        'B alert id (ab)': bAlertIds[1],
        'B endpoint url path': `/b-${secret}`,
        'B endpoint description': bDescription,
        'B webhook secret': bHook.secret,
        ...Object.fromEntries(
          bDeliveries.flatMap((d, i) => [
            [`B delivery id ${i}`, d.id],
            [`B webhook-id ${i}`, d.eventId],
          ]),
        ),
      },
    };

    const schema = await ctx.gql<{ __schema: Record<string, { fields: { name: string }[] } | null> }>(
      '{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }',
    );
    const s = schema.data!.__schema;
    operations = [
      ...(s.queryType?.fields ?? []).map((f) => `Query.${f.name}`),
      ...(s.mutationType?.fields ?? []).map((f) => `Mutation.${f.name}`),
      ...(s.subscriptionType?.fields ?? []).map((f) => `Subscription.${f.name}`),
    ].sort();
  });
  afterAll(async () => {
    await receiver?.close();
    await worker?.close();
    await ctx?.close();
    await owner?.end();
  });

  it('covers every operation of the live schema, and names no operation the schema lacks', () => {
    expect(operations.length).toBeGreaterThan(20);
    const table = Object.keys(SCENARIOS).sort();
    expect({ uncovered: operations.filter((o) => !table.includes(o)), unknown: table.filter((o) => !operations.includes(o)) }).toEqual({
      uncovered: [],
      unknown: [],
    });
    for (const [name, s] of Object.entries(SCENARIOS))
      if (s.access === 'public') expect(s.why, `${name} says why it is public`).toBeTruthy();
  });

  it("the marker check can fail: B's own answers do carry B's markers", async () => {
    const own = await ctx.gql(`query($id: ID!) { alert(id: $id) { ${ALERT_FIELDS} } }`, { id: w.bAlertIds[0] }, w.tokenB);
    expect(leaks(JSON.stringify(own), w)).toEqual(expect.arrayContaining(['B alert id (bc)', 'B externalRef bc', 'B+C token']));
    const hooks = await ctx.gql(`{ webhookEndpoints { ${ENDPOINT_FIELDS} } }`, {}, w.tokenB);
    expect(leaks(JSON.stringify(hooks), w)).toEqual(expect.arrayContaining(['B endpoint url path', 'B endpoint description']));
    // And disclosure works where it is chosen: A sees C's name on the token they share, so B's absence means something.
    const shared = await ctx.gql<{ alert: { disclosedHolders: string[] } }>(
      'query($id: ID!) { alert(id: $id) { disclosedHolders } }',
      { id: w.aAlertIds[1] },
      w.tokenA,
    );
    expect(shared.data!.alert.disclosedHolders).toEqual(['Lab C (discloses)']);
  });

  it('refuses every operation but the public ones to an anonymous caller', async () => {
    for (const name of operations) {
      const s = SCENARIOS[name];
      if (!s?.doc) continue; // the subscription's anonymous case runs in its own scenario
      const res = await send(s.doc, s.vars?.(w) ?? {});
      expect(leaks(JSON.stringify(res), w), name).toEqual([]);
      if (s.access === 'public') continue;
      expect(res.data ?? null, name).toBeNull();
      expect(res.errors?.[0]?.extensions, name).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
    }
  });

  it("refuses every operation on B's data to A, or answers with nothing of B's, and changes nothing of B's", async () => {
    const walked: string[] = [];
    for (const name of operations) {
      const scenario = SCENARIOS[name];
      if (!scenario || name.startsWith('Subscription.')) continue;
      const before = await stateOfB();
      const from = answers.length;
      await scenario.attack(w, send);
      const found = answers.slice(from).flatMap((answer) => leaks(answer, w));
      expect({ operation: name, leaked: found }).toEqual({ operation: name, leaked: [] });
      expect(await stateOfB(), `${name} changed B's data`).toEqual(before);
      walked.push(name);
    }
    expect(walked.length).toBe(operations.filter((o) => !o.startsWith('Subscription.')).length);
  });

  it("streams none of B's alert events to A (and B's to B)", async () => {
    for (const name of operations.filter((o) => o.startsWith('Subscription.'))) await SCENARIOS[name].attack(w, send);
  });
});
