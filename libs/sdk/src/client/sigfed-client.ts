import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JWK } from 'jose';
import { isValidKeyEpoch, isValidToken } from '../federation-key.js';
import { MINHASH_BANDS } from '../minhash.js';
import { isIndicatorType } from '../types.js';
import type { SigfedCredentials } from './credentials.js';
import { SigfedApiError, SigfedSubmitError, type GraphQLErrorItem, type SubmitTotals } from './errors.js';
import { send, type FetchLike } from './http.js';
import {
  ALERTS,
  EVALUATE_BLINDED,
  OPRF_KEYS,
  RETRACT_INDICATORS,
  RETRACT_TEMPLATE_SIGNATURES,
  SERVER_INFO,
  SUBMIT_INDICATORS,
  SUBMIT_TEMPLATE_SIGNATURES,
  type Alert,
  type AlertFilter,
  type Connection,
  type EvaluateBlindedInput,
  type EvaluateBlindedResult,
  type IndicatorInput,
  type OprfKey,
  type RetractIndicatorsInput,
  type ServerInfo,
  type SubmissionResult,
  type SubmitTemplateSignaturesInput,
  type TemplateSignatureInput,
} from './operations.js';
import { retryDelay, retryPolicy, type RetryPolicy } from './retry.js';
import { AlertEventStream, type AlertEventsOptions } from './alert-events.js';
import { AccessTokenSource, ClientAssertionSigner } from './token.js';
import { verifyWebhook, type WebhookEvent, type WebhookHeaders } from './webhook.js';

/** Most indicators the server takes in one `submitIndicators` call. */
export const MAX_BATCH_SIZE = 10_000;
/** Indicators per call unless told otherwise: well under the server's 4 MB body limit. */
export const DEFAULT_BATCH_SIZE = 1000;
/** Most alerts the server returns per page. */
export const MAX_ALERTS_PAGE_SIZE = 100;

// The server takes idempotency keys of 8-128 characters of A-Z a-z 0-9 . _ : -; a prefix of
// 6-100 leaves room for ":<batch index>" on both ends of that range.
const IDEMPOTENCY_KEY_PREFIX = /^[A-Za-z0-9._:-]{6,100}$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;
const NO_RETRY = retryPolicy({ attempts: 1 });
const USER_AGENT = 'sigfed-sdk/0.1';

/** How to reach a Sigfed server and authenticate as a member. */
export interface SigfedClientOptions {
  /** The server's address, e.g. `https://sigfed.example`. */
  readonly baseUrl: string;
  readonly clientId: string;
  /** The member's private key (OKP/Ed25519 or EC/P-256 JWK with `d`). Stays in this process. */
  readonly privateJwk: JWK;
  /** `aud` of client assertions; defaults to `baseUrl`. Must equal the server's `serverInfo.issuer`. */
  readonly issuer?: string;
  /** Replaces the global fetch (proxies, tracing, tests). */
  readonly fetch?: FetchLike;
  /** Retries of transient failures; see DEFAULT_RETRY_POLICY. */
  readonly retry?: Partial<RetryPolicy>;
  /** Longest wait for one answer before it counts as a network failure; default 60 s. */
  readonly timeoutMs?: number;
}

/** Progress of `submitIndicators`, reported after each acknowledged batch. */
export interface SubmitProgress {
  /** Batches done so far (1-based count). */
  readonly batch: number;
  readonly batches: number;
  /** Indicators in the batches done so far. */
  readonly sent: number;
  readonly total: number;
  readonly accepted: number;
  readonly duplicates: number;
}

/** Options of `submitIndicators`. */
export interface SubmitOptions {
  /** Indicators per call, 1 to MAX_BATCH_SIZE; default 1000. */
  readonly batchSize?: number;
  /** Batch i is sent with idempotency key `<prefix>:<i>`; default a random UUID per call. */
  readonly idempotencyKeyPrefix?: string;
  readonly onProgress?: (progress: SubmitProgress) => void;
}

/** Options of `graphql`. */
export interface GraphQLCallOptions {
  /**
   * Retry transient failures (default true). Every Sigfed mutation is safe to repeat; turn
   * this off for an operation that is not.
   */
  readonly retry?: boolean;
}

/**
 * A member's client for a Sigfed server: authenticates with OAuth 2.0 client credentials and
 * private_key_jwt (RFC 7523), caches the access token, retries transient failures, and wraps
 * the member operations (submit, retract, alerts). Raw indicator values never reach it: hash
 * them first with `hashIndicator` or `hashAndBuild`.
 */
export class SigfedClient {
  /** The server address, without a trailing slash. */
  readonly baseUrl: string;
  /** The `aud` of this client's assertions. */
  readonly issuer: string;
  private readonly fetch: FetchLike;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly tokens: AccessTokenSource;

  constructor(options: SigfedClientOptions) {
    this.baseUrl = serverUrl(options.baseUrl, 'baseUrl');
    this.issuer = options.issuer === undefined ? this.baseUrl : options.issuer.replace(/\/+$/, '');
    if (typeof options.clientId !== 'string' || options.clientId === '') throw new TypeError('clientId is required');
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.retry = retryPolicy(options.retry);
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.tokens = new AccessTokenSource({
      tokenUrl: `${this.baseUrl}/oauth/token`,
      audience: this.issuer,
      signer: new ClientAssertionSigner(options.clientId, options.privateJwk),
      fetch: this.fetch,
      retry: this.retry,
      timeoutMs: this.timeoutMs,
      userAgent: USER_AGENT,
    });
  }

  /** A client from an onboarding credentials file; the server defaults to its issuer. */
  static fromCredentials(
    credentials: SigfedCredentials,
    options: Omit<SigfedClientOptions, 'baseUrl' | 'clientId' | 'privateJwk' | 'issuer'> & { baseUrl?: string } = {},
  ): SigfedClient {
    return new SigfedClient({
      ...options,
      baseUrl: options.baseUrl ?? credentials.issuer,
      clientId: credentials.clientId,
      privateJwk: credentials.privateJwk,
      issuer: credentials.issuer,
    });
  }

  /**
   * An access token for this member, for anything the client does not wrap (a WebSocket, another
   * HTTP client). Cached and shared with the client's own calls; renewed 30 s before it expires
   * (at half-life for short-lived tokens), so the token returned has some life left.
   */
  async getAccessToken(): Promise<string> {
    return this.tokens.get();
  }

  /** The server's issuer and clock, read without a token (useful to check `issuer` and clock skew). */
  async serverInfo(): Promise<ServerInfo> {
    const data = await this.execute<{ serverInfo: ServerInfo }>(JSON.stringify({ query: SERVER_INFO }), false, true);
    return data.serverInfo;
  }

  /** Runs a GraphQL operation as this member and returns `data`; GraphQL errors throw SigfedApiError. */
  async graphql<T = unknown>(query: string, variables?: Record<string, unknown>, options: GraphQLCallOptions = {}): Promise<T> {
    // Serialized once, so every retry sends the same bytes (the server hashes them for idempotency).
    return this.execute<T>(JSON.stringify({ query, variables }), true, options.retry ?? true);
  }

  /**
   * Submits hashed indicators in batches, one after another, each with a deterministic
   * idempotency key so a retried batch is stored once. Throws SigfedSubmitError (with what was
   * stored so far) when a batch fails for good.
   */
  async submitIndicators(indicators: readonly IndicatorInput[], options: SubmitOptions = {}): Promise<SubmitTotals> {
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
      throw new RangeError(`batchSize must be an integer from 1 to ${MAX_BATCH_SIZE}`);
    }
    const prefix = options.idempotencyKeyPrefix ?? randomUUID();
    if (!IDEMPOTENCY_KEY_PREFIX.test(prefix)) {
      throw new RangeError('idempotencyKeyPrefix must be 6-100 characters of A-Z a-z 0-9 . _ : -');
    }
    // Checked up front: finding a malformed item only when its batch is sent would leave the
    // earlier batches stored and the rest not.
    indicators.forEach(checkIndicator);

    const batches = Math.ceil(indicators.length / batchSize);
    let accepted = 0;
    let duplicates = 0;
    const submissionIds: string[] = [];
    for (let batch = 0; batch < batches; batch++) {
      const items = indicators.slice(batch * batchSize, (batch + 1) * batchSize);
      let result: SubmissionResult;
      try {
        const data = await this.graphql<{ submitIndicators: SubmissionResult }>(SUBMIT_INDICATORS, {
          input: { idempotencyKey: `${prefix}:${batch}`, indicators: items },
        });
        result = data.submitIndicators;
      } catch (error) {
        throw new SigfedSubmitError(
          batch,
          { batches: batch, accepted, duplicates, submissionIds: [...submissionIds], idempotencyKeyPrefix: prefix },
          error,
        );
      }
      accepted += result.accepted;
      duplicates += result.duplicates;
      submissionIds.push(result.submissionId);
      options.onProgress?.({
        batch: batch + 1,
        batches,
        sent: Math.min(indicators.length, (batch + 1) * batchSize),
        total: indicators.length,
        accepted,
        duplicates,
      });
    }
    return { batches, accepted, duplicates, submissionIds, idempotencyKeyPrefix: prefix };
  }

  /**
   * Submits template signatures (see `templateSignature`) in one call, stored all or nothing
   * under one idempotency key, so a retried call is stored once. Each signature carries
   * exactly 32 band tokens; malformed input throws RangeError before anything is sent.
   */
  async submitTemplateSignatures(input: SubmitTemplateSignaturesInput): Promise<SubmissionResult> {
    const idempotencyKey = input.idempotencyKey ?? randomUUID();
    if (!IDEMPOTENCY_KEY.test(idempotencyKey)) throw new RangeError('idempotencyKey must be 8-128 characters of A-Z a-z 0-9 . _ : -');
    input.signatures.forEach(checkSignature);
    const data = await this.graphql<{ submitTemplateSignatures: SubmissionResult }>(SUBMIT_TEMPLATE_SIGNATURES, {
      input: { idempotencyKey, signatures: input.signatures },
    });
    return data.submitTemplateSignatures;
  }

  /**
   * Retracts this member's live template signatures that carry one of `externalRefs`
   * (references of other members are never touched), in calls of at most 10,000.
   */
  async retractTemplateSignatures(input: { externalRefs: readonly string[] }): Promise<{ retracted: number }> {
    let retracted = 0;
    for (let start = 0; start < input.externalRefs.length; start += MAX_BATCH_SIZE) {
      const data = await this.graphql<{ retractTemplateSignatures: { retracted: number } }>(RETRACT_TEMPLATE_SIGNATURES, {
        input: { externalRefs: input.externalRefs.slice(start, start + MAX_BATCH_SIZE) },
      });
      retracted += data.retractTemplateSignatures.retracted;
    }
    return { retracted };
  }

  /** Removes this member's records of the given tokens (tokens it does not hold are ignored). */
  async retractIndicators(input: RetractIndicatorsInput): Promise<{ retracted: number }> {
    if (!isIndicatorType(input.type)) throw new RangeError(`unknown indicator type ${JSON.stringify(input.type)}`);
    if (!isValidKeyEpoch(input.keyEpoch)) throw new RangeError(`key epoch ${JSON.stringify(input.keyEpoch)} is malformed`);
    const bad = input.tokens.findIndex((token) => !isValidToken(token));
    if (bad !== -1) throw new RangeError(`tokens[${bad}] is not 64 lowercase hex characters`);
    let retracted = 0;
    // The server takes at most 10,000 tokens per call; retracting is idempotent, so chunks are safe.
    for (let start = 0; start < input.tokens.length; start += MAX_BATCH_SIZE) {
      const tokens = input.tokens.slice(start, start + MAX_BATCH_SIZE);
      const data = await this.graphql<{ retractIndicators: { retracted: number } }>(RETRACT_INDICATORS, {
        input: { type: input.type, keyEpoch: input.keyEpoch, tokens },
      });
      retracted += data.retractIndicators.retracted;
    }
    return { retracted };
  }

  /** The public keys of the federation's TWO_KEY epochs (`oprfKeys`). Compare them with pinned keys before use. */
  async oprfKeys(): Promise<OprfKey[]> {
    const data = await this.graphql<{ oprfKeys: OprfKey[] }>(OPRF_KEYS);
    return data.oprfKeys;
  }

  /**
   * The server's half of the POPRF for one batch of blinded elements. Prefer `TwoKeyTokens`,
   * which blinds, verifies and finalizes around this call.
   */
  async evaluateBlinded(input: EvaluateBlindedInput): Promise<EvaluateBlindedResult> {
    const data = await this.graphql<{ evaluateBlinded: EvaluateBlindedResult }>(EVALUATE_BLINDED, {
      input: { keyEpoch: input.keyEpoch, type: input.type, blindedElements: input.blindedElements },
    });
    return data.evaluateBlinded;
  }

  /** Every alert matching `filter`, newest first or by priority (`orderBy`), fetched a page at a time as the loop asks for more. */
  async *alerts(
    options: { filter?: AlertFilter; pageSize?: number; orderBy?: 'NEWEST' | 'PRIORITY' } = {},
  ): AsyncGenerator<Alert, void, undefined> {
    const first = options.pageSize ?? MAX_ALERTS_PAGE_SIZE;
    if (!Number.isInteger(first) || first < 1 || first > MAX_ALERTS_PAGE_SIZE) {
      throw new RangeError(`pageSize must be an integer from 1 to ${MAX_ALERTS_PAGE_SIZE}`);
    }
    let after: string | null = null;
    for (;;) {
      const data: { alerts: Connection<Alert> } = await this.graphql(ALERTS, {
        first,
        after,
        filter: options.filter,
        orderBy: options.orderBy,
      });
      for (const edge of data.alerts.edges) yield edge.node;
      if (!data.alerts.pageInfo.hasNextPage) return;
      after = data.alerts.pageInfo.endCursor;
      // Without a cursor the next request would start over and loop forever.
      if (after === null || after === undefined)
        throw new SigfedApiError('the server reported another page of alerts without an endCursor');
    }
  }

  /**
   * The member's alert events, live, over graphql-ws: kept open across token
   * expiry and dropped connections (it reconnects with a fresh token and
   * resumes after the last event delivered, so nothing is lost or repeated
   * within the server's retention). Iterate with `for await`.
   */
  alertEvents(options: AlertEventsOptions = {}): AlertEventStream {
    const url = `${this.baseUrl.replace(/^http/, 'ws')}/graphql`;
    return new AlertEventStream(url, { get: () => this.tokens.get(), invalidate: (token) => this.tokens.invalidate(token) }, options);
  }

  /** Verifies a webhook delivery; the same as the exported `verifyWebhook`. */
  verifyWebhook<T = unknown>(payload: string | Buffer, headers: WebhookHeaders, secret: string): WebhookEvent<T> {
    return verifyWebhook<T>(payload, headers, secret);
  }

  private async execute<T>(body: string, authorized: boolean, retry: boolean): Promise<T> {
    const policy = retry ? this.retry : NO_RETRY;
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      // Token failures are retried inside the token source and end up here only when final.
      const token = authorized ? await this.tokens.get() : undefined;
      try {
        return await this.post<T>(body, token);
      } catch (error) {
        if (token !== undefined && !refreshed && isUnauthenticated(error)) {
          // A token can be revoked or outlive a server key rotation: one fresh token, one more try.
          refreshed = true;
          this.tokens.invalidate(token);
          attempt--;
          continue;
        }
        const delay = retryDelay(error, attempt, policy);
        if (delay === undefined) throw error;
        await sleep(delay);
      }
    }
  }

  private async post<T>(body: string, token: string | undefined): Promise<T> {
    const url = `${this.baseUrl}/graphql`;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      'user-agent': USER_AGENT,
    };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const answer = await send(this.fetch, url, { method: 'POST', headers, body }, this.timeoutMs);
    const json = (typeof answer.json === 'object' && answer.json !== null ? answer.json : {}) as { data?: unknown; errors?: unknown };
    const errors = Array.isArray(json.errors) ? (json.errors as GraphQLErrorItem[]) : [];
    if (errors.length > 0) throw new SigfedApiError(describe(errors), errors, answer.status, answer.retryAfterMs, json.data ?? undefined);
    if (answer.status < 200 || answer.status >= 300) {
      throw new SigfedApiError(`${url} answered HTTP ${answer.status} ${answer.statusText}`.trim(), [], answer.status, answer.retryAfterMs);
    }
    if (json.data === undefined || json.data === null) throw new SigfedApiError(`${url} answered without GraphQL data`, [], answer.status);
    return json.data as T;
  }
}

function serverUrl(text: string, what: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`${what} must be an absolute http(s) URL, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`${what} must be an http(s) URL`);
  return text.replace(/\/+$/, '');
}

function checkIndicator(item: IndicatorInput, index: number): void {
  if (!isIndicatorType(item.type)) throw new RangeError(`indicators[${index}].type ${JSON.stringify(item.type)} is not an indicator type`);
  if (!isValidToken(item.token)) throw new RangeError(`indicators[${index}].token is not 64 lowercase hex characters`);
  if (!isValidKeyEpoch(item.keyEpoch)) throw new RangeError(`indicators[${index}].keyEpoch ${JSON.stringify(item.keyEpoch)} is malformed`);
}

function checkSignature(item: TemplateSignatureInput, index: number): void {
  if (!isValidKeyEpoch(item.keyEpoch)) throw new RangeError(`signatures[${index}].keyEpoch ${JSON.stringify(item.keyEpoch)} is malformed`);
  if (!Array.isArray(item.bands) || item.bands.length !== MINHASH_BANDS) {
    throw new RangeError(`signatures[${index}].bands must hold exactly ${MINHASH_BANDS} band tokens`);
  }
  const bad = item.bands.findIndex((band) => !isValidToken(band));
  if (bad !== -1) throw new RangeError(`signatures[${index}].bands[${bad}] is not 64 lowercase hex characters`);
}

function isUnauthenticated(error: unknown): boolean {
  return error instanceof SigfedApiError && (error.status === 401 || error.hasCode('UNAUTHENTICATED'));
}

function describe(errors: readonly GraphQLErrorItem[]): string {
  const [first] = errors;
  const code = first.extensions?.code ? ` (${first.extensions.code})` : '';
  const more = errors.length > 1 ? ` and ${errors.length - 1} more error(s)` : '';
  return `${first.message}${code}${more}`;
}
