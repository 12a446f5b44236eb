/**
 * Sign-in with the credentials file onboarding wrote (`clientId`,
 * `privateJwk`, `issuer`). The private key is imported into WebCrypto as
 * non-extractable and lives in this tab's memory only: it is never sent and
 * never stored (no localStorage, sessionStorage or IndexedDB), so closing the
 * tab forgets it. Access tokens come from POST /oauth/token with a fresh
 * RFC 7523 client assertion each time, signed here, exactly as the SDK does.
 */

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Renew this long before the access token expires. */
const RENEW_MARGIN_MS = 60_000;

export interface CredentialFile {
  clientId: string;
  issuer: string;
  privateJwk: JsonWebKey;
}

/** Why a credentials file was refused, in words for the person who picked it. */
export class SignInError extends Error {}

/** Reads and checks a credentials file's text; never keeps the text. */
export function parseCredentialFile(text: string): CredentialFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SignInError('This file is not JSON: pick the credentials file that `sigfed join` or `bootstrap-admin` wrote.');
  }
  const file = value as Partial<CredentialFile> | null;
  if (!file || typeof file.clientId !== 'string' || typeof file.issuer !== 'string' || typeof file.privateJwk !== 'object') {
    throw new SignInError('This file has no clientId, issuer and privateJwk: it is not a Sigfed credentials file.');
  }
  const jwk = file.privateJwk;
  if (typeof jwk?.d !== 'string') throw new SignInError('The key in this file has no private part ("d").');
  return { clientId: file.clientId, issuer: file.issuer.replace(/\/+$/, ''), privateJwk: jwk };
}

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const encodeJson = (value: unknown) => base64url(new TextEncoder().encode(JSON.stringify(value)));

/** RFC 7638 thumbprint of the public half: the `kid` the server registered the key under. */
async function thumbprint(jwk: JsonWebKey): Promise<string> {
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(members)));
  return base64url(new Uint8Array(digest));
}

interface Signer {
  alg: 'EdDSA' | 'ES256';
  kid: string;
  key: CryptoKey;
}

async function importSigner(jwk: JsonWebKey): Promise<Signer> {
  const kid = await thumbprint(jwk);
  // Only the members WebCrypto needs; `extractable: false` so not even this page can read the key back.
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    const key = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d }, { name: 'Ed25519' }, false, [
      'sign',
    ]);
    return { alg: 'EdDSA', kid, key };
  }
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') {
    const key = await crypto.subtle.importKey(
      'jwk',
      { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d },
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign'],
    );
    return { alg: 'ES256', kid, key };
  }
  throw new SignInError('The key in this file is neither Ed25519 nor P-256.');
}

/** A GraphQL error as the API reports it. */
export interface GraphQLErrorItem {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}

/** A refused GraphQL operation; `message` is the server's first message with its code. */
export class ApiError extends Error {
  constructor(readonly errors: GraphQLErrorItem[]) {
    const first = errors[0];
    super(first ? `${first.message}${first.extensions?.code ? ` (${first.extensions.code})` : ''}` : 'request failed');
  }
}

/** A signed-in member: its key in memory, its current access token, and GraphQL over fetch. */
export class Session {
  private token?: { value: string; renewAt: number };
  private pending?: Promise<string>;

  private constructor(
    readonly clientId: string,
    readonly issuer: string,
    private readonly signer: Signer,
  ) {}

  /** Imports the file's key and fetches a first token, so a wrong file fails here. */
  static async start(file: CredentialFile): Promise<Session> {
    const info = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ serverInfo { issuer } }' }),
    }).then((r) => r.json() as Promise<{ data?: { serverInfo: { issuer: string } } }>);
    const issuer = info.data?.serverInfo.issuer;
    if (issuer && issuer.replace(/\/+$/, '') !== file.issuer) {
      throw new SignInError(`This credentials file is for ${file.issuer}; this server is ${issuer}.`);
    }
    const session = new Session(file.clientId, file.issuer, await importSigner(file.privateJwk));
    await session.accessToken();
    return session;
  }

  /** A token valid for at least another minute; renewed with a new assertion when due. */
  accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.renewAt) return Promise.resolve(this.token.value);
    this.pending ??= this.fetchToken().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async assertion(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const header = encodeJson({ alg: this.signer.alg, kid: this.signer.kid, typ: 'JWT' });
    const claims = encodeJson({
      iss: this.clientId,
      sub: this.clientId,
      aud: this.issuer,
      jti: crypto.randomUUID(),
      iat: now,
      exp: now + 60,
    });
    const input = new TextEncoder().encode(`${header}.${claims}`);
    const algorithm = this.signer.alg === 'EdDSA' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' };
    const signature = new Uint8Array(await crypto.subtle.sign(algorithm, this.signer.key, input));
    return `${header}.${claims}.${base64url(signature)}`;
  }

  private async fetchToken(): Promise<string> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await this.assertion(),
    });
    const res = await fetch('/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
    });
    const json = (await res.json()) as { access_token?: string; expires_in?: number; error?: string };
    if (!res.ok || !json.access_token) {
      throw new SignInError(
        json.error === 'invalid_client'
          ? 'The server refused this key (unknown, revoked, or the member is suspended).'
          : `The token endpoint answered ${res.status}.`,
      );
    }
    const lifetime = (json.expires_in ?? 60) * 1000;
    this.token = { value: json.access_token, renewAt: Date.now() + Math.max(lifetime - RENEW_MARGIN_MS, lifetime / 2) };
    return json.access_token;
  }

  /** Runs one GraphQL operation with the current token; throws ApiError on GraphQL errors. */
  async gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const token = await this.accessToken();
    const res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const json = (await res.json()) as { data?: T; errors?: GraphQLErrorItem[] };
    if (json.errors?.length) throw new ApiError(json.errors);
    if (!json.data) throw new ApiError([{ message: `the API answered ${res.status} without data` }]);
    return json.data;
  }
}
