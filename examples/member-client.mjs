#!/usr/bin/env node
// A complete Sigfed member client in one file: Node 20+ and `jose` only
// (npm install jose). Copy it, read it, adapt it.
//
//   Join with an invitation (generates your key pair locally; only the public
//   half is sent), writing your credential file with mode 0600:
//     node member-client.mjs accept --issuer https://sigfed.example.org \
//          --invitation sfinv_... --out sigfed-credential.json [--alg EdDSA|ES256]
//
//   Authenticate and ask who you are:
//     node member-client.mjs me [--credentials sigfed-credential.json]
//
//   Run any GraphQL operation:
//     node member-client.mjs query '{ me { clientId keys { kid status } } }' [--variables '{}']
//
// The credential file is { "clientId", "privateJwk", "issuer" }: what
// `npm run cli -- bootstrap-admin` writes for an operator, and what `accept`
// writes for a new member. It holds your private key: keep it secret.
// SIGFED_CREDENTIALS may name it instead of --credentials.
import { randomUUID } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** EdDSA for Ed25519 keys, ES256 for P-256 keys: the two the server accepts. */
function algorithmOf(jwk) {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  throw new Error(`unsupported key: kty ${jwk.kty}, crv ${jwk.crv}`);
}

/** The public members of a key: what the server stores and what its kid (RFC 7638 thumbprint) is computed over. */
function publicPart(jwk) {
  return jwk.kty === 'EC' ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
}

/**
 * A client assertion (RFC 7523): iss = sub = your client id, aud = the
 * issuer URL exactly (a single string), a fresh jti, valid for 60 seconds,
 * signed with your private key and naming it by kid.
 */
async function clientAssertion({ clientId, privateJwk, issuer }) {
  const alg = algorithmOf(privateJwk);
  const kid = await calculateJwkThumbprint(publicPart(privateJwk));
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg, kid })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(issuer)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(await importJWK(privateJwk, alg));
}

/** POST /oauth/token with the client_credentials grant; returns the access token and its lifetime. */
async function accessToken(credential) {
  const res = await fetch(`${credential.issuer}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await clientAssertion(credential),
    }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`token endpoint: ${res.status} ${body.error}: ${body.error_description}`);
  return { token: body.access_token, expiresIn: body.expires_in };
}

/** One GraphQL operation; throws on GraphQL errors, showing their codes. */
async function graphql(issuer, query, variables = {}, token) {
  const res = await fetch(`${issuer}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors?.length) {
    const lines = body.errors.map(
      (e) => `${e.extensions?.code ?? 'ERROR'}${e.extensions?.reason ? `/${e.extensions.reason}` : ''}: ${e.message}`,
    );
    throw new Error(lines.join('\n'));
  }
  return body.data;
}

async function readCredential(path) {
  const credential = JSON.parse(await readFile(path, 'utf8'));
  for (const field of ['clientId', 'privateJwk', 'issuer']) {
    if (!credential[field]) throw new Error(`${path} has no ${field}`);
  }
  return { ...credential, issuer: credential.issuer.replace(/\/+$/, '') };
}

/** Writes the credential file with mode 0600, refusing to overwrite one. */
async function writeCredential(path, credential) {
  const file = await open(path, 'wx', 0o600);
  try {
    await file.writeFile(`${JSON.stringify(credential, null, 2)}\n`);
  } finally {
    await file.close();
  }
}

async function accept({ issuer, invitation, out, alg = 'EdDSA' }) {
  if (!issuer || !invitation || !out) throw new Error('accept needs --issuer, --invitation and --out');
  issuer = issuer.replace(/\/+$/, '');
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const privateJwk = { ...(await exportJWK(privateKey)), alg };
  const data = await graphql(
    issuer,
    `
      mutation Accept($input: AcceptInvitationInput!) {
        acceptInvitation(input: $input) {
          id
          clientId
          name
          status
          keys {
            kid
            alg
          }
        }
      }
    `,
    { input: { invitationToken: invitation, publicJwk: publicPart(await exportJWK(publicKey)) } },
  );
  const member = data.acceptInvitation;
  privateJwk.kid = member.keys[0].kid;
  await writeCredential(out, { clientId: member.clientId, privateJwk, issuer });
  console.log(JSON.stringify({ accepted: member, credentialFile: out }, null, 2));
}

async function run(credentialPath, query, variables) {
  const credential = await readCredential(credentialPath);
  const { token } = await accessToken(credential);
  console.log(JSON.stringify(await graphql(credential.issuer, query, variables, token), null, 2));
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    issuer: { type: 'string' },
    invitation: { type: 'string' },
    out: { type: 'string' },
    alg: { type: 'string' },
    credentials: { type: 'string' },
    variables: { type: 'string' },
  },
});
const [command = 'me', text] = positionals;
const credentials = values.credentials ?? process.env.SIGFED_CREDENTIALS ?? 'sigfed-credential.json';

try {
  if (command === 'accept') await accept(values);
  else if (command === 'me') await run(credentials, '{ me { id clientId name status role keys { kid alg status lastUsedAt } } }', {});
  else if (command === 'query' && text) await run(credentials, text, JSON.parse(values.variables ?? '{}'));
  else throw new Error('usage: member-client.mjs accept|me|query (see the comment at the top of this file)');
} catch (error) {
  console.error(`member-client: ${error.message}`);
  process.exitCode = 1;
}
