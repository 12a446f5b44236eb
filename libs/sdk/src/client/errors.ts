/** One entry of a GraphQL response's `errors` array; `extensions.code` is what to branch on. */
export interface GraphQLErrorItem {
  readonly message: string;
  readonly path?: readonly (string | number)[];
  readonly extensions?: { readonly code?: string; readonly [key: string]: unknown };
}

/**
 * The server answered with an error: GraphQL `errors` (each with `extensions.code`), an OAuth
 * error from the token endpoint (its `error` becomes the code), or a bare HTTP error status.
 */
export class SigfedApiError extends Error {
  override readonly name = 'SigfedApiError';

  constructor(
    message: string,
    /** The GraphQL errors as the server sent them; empty for a bare HTTP error. */
    readonly errors: readonly GraphQLErrorItem[] = [],
    /** HTTP status of the response. */
    readonly status?: number,
    /** What the server's Retry-After header asked for, in milliseconds. */
    readonly retryAfterMs?: number,
    /** `data` of a partial GraphQL response, if any. */
    readonly data?: unknown,
  ) {
    super(message);
  }

  /** `extensions.code` of the first error, e.g. `BAD_USER_INPUT`, `UNAUTHENTICATED`, `invalid_client`. */
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }

  /** Whether any of the errors carries this `extensions.code`. */
  hasCode(code: string): boolean {
    return this.errors.some((error) => error.extensions?.code === code);
  }
}

/** The server could not be reached, the connection broke, or no answer came in time. */
export class SigfedNetworkError extends Error {
  override readonly name = 'SigfedNetworkError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** What a (possibly interrupted) `submitIndicators` call has stored so far. */
export interface SubmitTotals {
  /** Batches the server acknowledged. */
  readonly batches: number;
  readonly accepted: number;
  readonly duplicates: number;
  /** One id per acknowledged batch, in batch order. */
  readonly submissionIds: readonly string[];
  /** Pass it again (with the same indicators and batch size) to resume without storing anything twice. */
  readonly idempotencyKeyPrefix: string;
}

/**
 * A batch of `submitIndicators` failed after its retries. Earlier batches are stored (see
 * `completed`); calling again with `completed.idempotencyKeyPrefix`, the same indicators and
 * the same batch size resumes safely, because stored batches answer with their first result.
 */
export class SigfedSubmitError extends Error {
  override readonly name = 'SigfedSubmitError';

  constructor(
    /** Zero-based index of the batch that failed. */
    readonly failedBatch: number,
    readonly completed: SubmitTotals,
    cause: unknown,
  ) {
    super(`batch ${failedBatch + 1} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/**
 * The public key the server lists for an epoch (`oprfKeys`) is not the one the member pinned,
 * or an epoch the member pinned is not listed at all. Nothing is evaluated under it.
 */
export class OprfKeyMismatchError extends Error {
  override readonly name = 'OprfKeyMismatchError';

  constructor(
    readonly keyEpoch: string,
    /** The member's pinned key. */
    readonly pinned: string,
    /** What `oprfKeys` lists, or undefined when the epoch is missing there. */
    readonly listed: string | undefined,
  ) {
    super(
      listed === undefined
        ? `key epoch ${keyEpoch}: a public key is pinned (${pinned.slice(0, 8)}…) but the server lists no TWO_KEY key for this epoch; refusing to fall back to HMAC tokens`
        : `key epoch ${keyEpoch}: the server's OPRF public key ${listed.slice(0, 8)}… is not the pinned ${pinned.slice(0, 8)}…; refusing to evaluate (check the key you pinned with the federation operator)`,
    );
  }
}

/** A TWO_KEY epoch has no pinned public key in the member's configuration. */
export class OprfKeyNotPinnedError extends Error {
  override readonly name = 'OprfKeyNotPinnedError';

  constructor(
    readonly keyEpoch: string,
    /** What `oprfKeys` lists, so the member can compare it with the operator's announcement. */
    readonly listed: string,
  ) {
    super(
      `key epoch ${keyEpoch} is TWO_KEY but no public key is pinned for it; pin the key the federation announced (the server lists ${listed.slice(0, 8)}…) with oprfPublicKeys in the credentials file or --oprf-public-key ${keyEpoch}=<key>`,
    );
  }
}

/** The local token cache file is unsafe or malformed. */
export class TokenCacheError extends Error {
  override readonly name = 'TokenCacheError';
}
