import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type pg from 'pg';
import type { Fleet } from './fleet.js';
import { dataOf, gql, TokenSource } from './http.js';

/** A member the bench created, and how it gets access tokens. */
export interface BenchMember {
  index: number;
  id: string;
  clientId: string;
  name: string;
  /** Its private key, for clients that sign their own assertions (the SDK's SigfedClient). */
  privateJwk: JWK;
  tokens: TokenSource;
}

const CREATE_INVITATION = `mutation Invite($input: CreateInvitationInput!) {
  createInvitation(input: $input) { invitationToken invitation { memberId clientId } }
}`;
const ACCEPT_INVITATION = `mutation Accept($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) { id clientId }
}`;

/**
 * Onboards `count` members the way real labs join: `sigfed bootstrap-admin`
 * creates the operator, the operator invites each lab over GraphQL, and each
 * lab accepts with a public key it generated (Ed25519). Every later request
 * carries an access token from POST /oauth/token.
 */
export async function onboardMembers(fleet: Fleet, db: pg.Client, count: number): Promise<BenchMember[]> {
  const api = fleet.apis[0].url;
  const tokenUrl = `${api}/oauth/token`;
  const credentialFile = join(fleet.env.DATA_DIR, 'bench-admin.json');
  await fleet.cli(['bootstrap-admin', '--name', 'Bench operator', '--out', credentialFile]);
  const admin = JSON.parse(readFileSync(credentialFile, 'utf8')) as { clientId: string; privateJwk: JWK; issuer: string };
  const adminTokens = new TokenSource(admin.clientId, admin.privateJwk, fleet.issuer, tokenUrl);

  const members: BenchMember[] = [];
  for (let i = 0; i < count; i++) {
    const name = `Bench lab ${i + 1}`;
    const invited = dataOf(
      'createInvitation',
      await gql<{ createInvitation: { invitationToken: string } }>(
        api,
        CREATE_INVITATION,
        { input: { organizationName: name, contactEmail: `lab${i + 1}@bench.example` } },
        await adminTokens.get(),
      ),
    );
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const accepted = dataOf(
      'acceptInvitation',
      await gql<{ acceptInvitation: { id: string; clientId: string } }>(api, ACCEPT_INVITATION, {
        input: { invitationToken: invited.createInvitation.invitationToken, publicJwk: await exportJWK(pair.publicKey) },
      }),
    );
    const { id, clientId } = accepted.acceptInvitation;
    const privateJwk = await exportJWK(pair.privateKey);
    members.push({ index: i, id, clientId, name, privateJwk, tokens: new TokenSource(clientId, privateJwk, fleet.issuer, tokenUrl) });
  }
  // A submission budget (indicators per hour) must not throttle a throughput test.
  await db.query('UPDATE members SET indicators_per_hour = 2000000000 WHERE id = ANY($1::uuid[])', [members.map((m) => m.id)]);
  for (const m of members) await m.tokens.get();
  return members;
}
