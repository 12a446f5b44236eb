import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type pg from 'pg';
import { SigfedClient, type FetchLike, type RetryPolicy } from '@app/sdk';

/** A member made for a fault run or a soak, holding its private key and an SDK client. */
export interface RunMember {
  index: number;
  id: string;
  clientId: string;
  client: SigfedClient;
}

/** How patient the SDK is within one call; the callers retry whole calls on top of this. */
export const CLIENT_RETRY: Partial<RetryPolicy> = { attempts: 6, baseDelayMs: 200, maxDelayMs: 5_000 };

/**
 * Creates `count` ACTIVE members straight in the database (each with one
 * Ed25519 key, as an onboarded lab has), with a submission quota that cannot
 * throttle the run, and an SDK client each that authenticates through the
 * real POST /oauth/token of `apiUrl`.
 */
export async function createMembers(
  db: pg.Client,
  apiUrl: string,
  count: number,
  options: { label?: string; fetch?: FetchLike } = {},
): Promise<RunMember[]> {
  const label = options.label ?? 'Lab';
  const members: RunMember[] = [];
  for (let index = 0; index < count; index++) {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const publicJwk = await exportJWK(pair.publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const clientId = `sf_${randomBytes(16).toString('base64url')}`;
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO members (client_id, name, status, role, indicators_per_hour)
       VALUES ($1, $2, 'ACTIVE', 'MEMBER', 2000000000) RETURNING id`,
      [clientId, `${label} ${index + 1}`],
    );
    const id = rows[0].id;
    await db.query(`INSERT INTO member_keys (member_id, kid, alg, public_jwk) VALUES ($1, $2, 'EdDSA', $3)`, [
      id,
      kid,
      JSON.stringify({ ...publicJwk, kid, alg: 'EdDSA', use: 'sig' }),
    ]);
    const client = new SigfedClient({
      baseUrl: apiUrl,
      clientId,
      privateJwk: { ...(await exportJWK(pair.privateKey)), kid, alg: 'EdDSA' },
      retry: CLIENT_RETRY,
      timeoutMs: 30_000,
      fetch: options.fetch,
    });
    members.push({ index, id, clientId, client });
  }
  return members;
}

const CREATE_ENDPOINT = `mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret endpoint { id } }
}`;

/** Registers a webhook endpoint for `member` through GraphQL; returns its id and signing secret. */
export async function createEndpoint(member: RunMember, url: string): Promise<{ id: string; secret: string }> {
  const data = await member.client.graphql<{ createWebhookEndpoint: { secret: string; endpoint: { id: string } } }>(CREATE_ENDPOINT, {
    input: { url, eventTypes: ['alert.created', 'alert.updated', 'alert.closed'] },
  });
  return { id: data.createWebhookEndpoint.endpoint.id, secret: data.createWebhookEndpoint.secret };
}
