import { deriveHmac, isValidKeyEpoch, parseFederationKey } from '../federation-key.js';
import { hashIndicator } from '../indicator.js';
import { MINHASH_SCHEME, presign, templateSignatureKeys, type TemplateSignature, type TemplateSignatureKeys } from '../minhash.js';
import { TWO_KEY_MODE, TWO_KEY_SUITE, blindTokens, parseOprfPublicKey } from '../two-key.js';
import type { HashedIndicator, IndicatorType, IndicatorValue } from '../types.js';
import { OprfKeyMismatchError, OprfKeyNotPinnedError, SigfedApiError } from './errors.js';
import { hashAndBuild, type BuiltIndicators, type RawIndicatorRow } from './hash-and-build.js';
import type { IndicatorInput, OprfKey } from './operations.js';
import type { SigfedClient } from './sigfed-client.js';
import type { TwoKeyTokenCache } from './token-cache.js';

/** Most blinded elements per `evaluateBlinded` call (the server's default limit). */
export const MAX_EVALUATE_BATCH = 256;

/** How a key epoch derives tokens. */
export type KeyEpochScheme = 'HMAC' | 'TWO_KEY';

/** Counts of one `TwoKeyTokens` instance, for progress displays and benchmarks. */
export interface TwoKeyStats {
  /** Values the server evaluated. */
  evaluated: number;
  /** Values answered from the cache. */
  cached: number;
  /** `evaluateBlinded` calls made. */
  calls: number;
}

/** Options of `TwoKeyTokens`. */
export interface TwoKeyTokensOptions {
  /**
   * The member's pinned public keys, epoch to unpadded base64url key, from a source other
   * than the server's own `oprfKeys` answer (the federation's announcement).
   */
  readonly oprfPublicKeys?: Readonly<Record<string, string>>;
  /** Where derived tokens are kept; without one, every value is evaluated on every run. */
  readonly cache?: TwoKeyTokenCache;
  /** Blinded elements per call, 1 to 256; default 256. */
  readonly batchSize?: number;
}

/**
 * The member's side of the two-key scheme against one server: learns which epochs are
 * TWO_KEY from `oprfKeys`, checks their keys against the pinned ones, and turns HMACs into
 * tokens (cache first, then blind in batches, `evaluateBlinded`, verify, finalize).
 */
export class TwoKeyTokens {
  readonly stats: TwoKeyStats = { evaluated: 0, cached: 0, calls: 0 };
  private listed: Promise<Map<string, OprfKey>> | undefined;
  private readonly pinned: ReadonlyMap<string, string>;
  private readonly batchSize: number;

  constructor(
    private readonly client: SigfedClient,
    private readonly options: TwoKeyTokensOptions = {},
  ) {
    this.batchSize = options.batchSize ?? MAX_EVALUATE_BATCH;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > MAX_EVALUATE_BATCH) {
      throw new RangeError(`batchSize must be an integer from 1 to ${MAX_EVALUATE_BATCH}`);
    }
    this.pinned = new Map(Object.entries(options.oprfPublicKeys ?? {}).map(([epoch, key]) => checkPin(epoch, key)));
  }

  /**
   * The scheme of an epoch: TWO_KEY when `oprfKeys` lists it (its key must then match the
   * pinned one), HMAC otherwise. An epoch pinned here but not listed there is refused, so a
   * server cannot talk a member down to HMAC tokens.
   */
  async scheme(keyEpoch: string): Promise<KeyEpochScheme> {
    const listed = (await this.listedKeys()).get(keyEpoch);
    const pinned = this.pinned.get(keyEpoch);
    if (listed === undefined) {
      if (pinned !== undefined) throw new OprfKeyMismatchError(keyEpoch, pinned, undefined);
      return 'HMAC';
    }
    if (listed.suite !== TWO_KEY_SUITE || listed.mode !== TWO_KEY_MODE) {
      throw new SigfedApiError(
        `key epoch ${keyEpoch} uses ${listed.suite} ${listed.mode}; this SDK speaks ${TWO_KEY_SUITE} ${TWO_KEY_MODE} only`,
      );
    }
    if (pinned === undefined) throw new OprfKeyNotPinnedError(keyEpoch, listed.publicKey);
    if (pinned !== listed.publicKey) throw new OprfKeyMismatchError(keyEpoch, pinned, listed.publicKey);
    return 'TWO_KEY';
  }

  /**
   * Tokens of 32-byte HMACs (see `deriveHmac`) under a TWO_KEY epoch, in input order. Values
   * in the cache cost nothing; the rest are evaluated in batches and cached.
   */
  async tokens(keyEpoch: string, type: IndicatorType, hmacs: readonly Uint8Array[]): Promise<string[]> {
    if ((await this.scheme(keyEpoch)) !== 'TWO_KEY') throw new RangeError(`key epoch ${keyEpoch} is not a TWO_KEY epoch`);
    const publicKey = this.pinned.get(keyEpoch)!;
    const hexes = hmacs.map((hmac) => Buffer.from(hmac).toString('hex'));
    const found = new Map<string, string>();
    const missing: string[] = [];
    for (const hmac of new Set(hexes)) {
      const token = this.options.cache?.get(keyEpoch, publicKey, type, hmac);
      if (token === undefined) missing.push(hmac);
      else found.set(hmac, token);
    }
    this.stats.cached += hexes.length - missing.length;
    // Two calls in flight: the member blinds and finalizes one batch while the server evaluates
    // the next (the server allows a member OPRF_MEMBER_CONCURRENCY calls at once, 2 by default).
    let previous: Promise<void> = Promise.resolve();
    for (let start = 0; start < missing.length; start += this.batchSize) {
      const chunk = missing.slice(start, start + this.batchSize);
      const blinded = blindTokens(
        publicKey,
        type,
        keyEpoch,
        chunk.map((hmac) => Buffer.from(hmac, 'hex')),
      );
      const answered = this.client.evaluateBlinded({ keyEpoch, type, blindedElements: blinded.blindedElements });
      const finalized = previous.then(async () => {
        const answer = await answered;
        this.stats.calls++;
        if (answer.keyEpoch !== keyEpoch)
          throw new SigfedApiError(`evaluateBlinded answered for epoch ${answer.keyEpoch}, asked for ${keyEpoch}`);
        const tokens = blinded.finalize(answer);
        this.stats.evaluated += chunk.length;
        const entries = chunk.map((hmac, i) => [hmac, tokens[i]] as const);
        this.options.cache?.put(keyEpoch, publicKey, type, entries);
        for (const [hmac, token] of entries) found.set(hmac, token);
      });
      // A failure surfaces at the next await; what was already sent or chained must not be
      // reported as unhandled meanwhile.
      answered.catch(() => undefined);
      finalized.catch(() => undefined);
      await previous;
      previous = finalized;
    }
    await previous;
    return hexes.map((hmac) => found.get(hmac)!);
  }

  /**
   * Replaces the HMAC tokens of indicators (as `hashAndBuild` makes them) with their two-key
   * tokens where the epoch is TWO_KEY; indicators of HMAC epochs are returned as they are.
   */
  async finalizeIndicators(indicators: readonly IndicatorInput[]): Promise<IndicatorInput[]> {
    const groups = new Map<string, { keyEpoch: string; type: IndicatorType; at: number[] }>();
    indicators.forEach((item, at) => {
      const id = `${item.keyEpoch} ${item.type}`;
      const group = groups.get(id) ?? { keyEpoch: item.keyEpoch, type: item.type, at: [] };
      group.at.push(at);
      groups.set(id, group);
    });
    const result = [...indicators];
    for (const { keyEpoch, type, at } of groups.values()) {
      if ((await this.scheme(keyEpoch)) === 'HMAC') continue;
      const tokens = await this.tokens(
        keyEpoch,
        type,
        at.map((i) => Buffer.from(indicators[i].token, 'hex')),
      );
      at.forEach((i, j) => (result[i] = { ...indicators[i], token: tokens[j] }));
    }
    return result;
  }

  private listedKeys(): Promise<Map<string, OprfKey>> {
    this.listed ??= this.client.oprfKeys().then(
      (keys) => new Map(keys.map((key) => [key.keyEpoch, key])),
      (error: unknown) => {
        this.listed = undefined; // a failed look-up is tried again next time
        throw error;
      },
    );
    return this.listed;
  }
}

/**
 * `hashIndicator` and `hashAndBuild` for any epoch: HMAC tokens for an HMAC epoch, two-key
 * tokens (through the server, with the pinned key and the cache) for a TWO_KEY epoch.
 */
export class TokenDeriver {
  private readonly key: Uint8Array;
  private signatureKeys: TemplateSignatureKeys | undefined;

  constructor(
    federationKey: Uint8Array | string,
    /** The two-key side; without it, every epoch is treated as HMAC. */
    readonly twoKey?: TwoKeyTokens,
  ) {
    this.key = typeof federationKey === 'string' ? parseFederationKey(federationKey) : federationKey;
  }

  /** The scheme of an epoch (HMAC when there is no two-key side). */
  async scheme(keyEpoch: string): Promise<KeyEpochScheme> {
    return this.twoKey === undefined ? 'HMAC' : this.twoKey.scheme(keyEpoch);
  }

  /** Canonicalizes a value and derives each canonical form's token under the epoch's scheme. */
  async hashIndicator(keyEpoch: string, type: IndicatorType, value: IndicatorValue): Promise<HashedIndicator[]> {
    if (!isValidKeyEpoch(keyEpoch)) throw new RangeError(`key epoch ${JSON.stringify(keyEpoch)} must match ^[a-z0-9][a-z0-9._-]{0,31}$`);
    const hashed = hashIndicator(this.key, type, value);
    if ((await this.scheme(keyEpoch)) === 'HMAC') return hashed;
    const tokens = await this.twoKey!.tokens(
      keyEpoch,
      type,
      hashed.map(({ canonical }) => deriveHmac(this.key, canonical)),
    );
    return hashed.map((form, i) => ({ ...form, token: tokens[i] }));
  }

  /**
   * The template signature of each text under the epoch's scheme, in input order: the HMAC
   * band tokens for an HMAC epoch; for a TWO_KEY epoch each band's pre-token goes through
   * the OPRF like any token (32 blinded elements per template, up to 8 templates per
   * `evaluateBlinded` call, cache first). Refusals throw CanonicalizationError.
   */
  async templateSignatures(keyEpoch: string, texts: readonly string[]): Promise<TemplateSignature[]> {
    if (!isValidKeyEpoch(keyEpoch)) throw new RangeError(`key epoch ${JSON.stringify(keyEpoch)} must match ^[a-z0-9][a-z0-9._-]{0,31}$`);
    this.signatureKeys ??= templateSignatureKeys(this.key);
    const keys = this.signatureKeys;
    const signed = texts.map((text) => presign(keys, text));
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    const bands =
      (await this.scheme(keyEpoch)) === 'HMAC'
        ? signed.flatMap(({ preTokens }) => preTokens.map(hex))
        : await this.twoKey!.tokens(
            keyEpoch,
            'PROMPT_TEMPLATE',
            signed.flatMap(({ preTokens }) => preTokens),
          );
    return signed.map(({ preTokens, shingles }, i) => ({
      scheme: MINHASH_SCHEME,
      bands: bands.slice(i * preTokens.length, (i + 1) * preTokens.length),
      shingles,
    }));
  }

  /** `templateSignatures` of one text. */
  async templateSignature(keyEpoch: string, text: string): Promise<TemplateSignature> {
    const [signature] = await this.templateSignatures(keyEpoch, [text]);
    return signature;
  }

  /** `hashAndBuild` under the epoch's scheme; refusals are the same as for HMAC epochs. */
  async hashAndBuild(keyEpoch: string, rows: Iterable<RawIndicatorRow>, options: { now?: Date } = {}): Promise<BuiltIndicators> {
    const built = hashAndBuild(this.key, keyEpoch, rows, options);
    if ((await this.scheme(keyEpoch)) === 'HMAC') return built;
    return { ...built, indicators: await this.twoKey!.finalizeIndicators(built.indicators) };
  }
}

function checkPin(epoch: string, key: string): [string, string] {
  if (!isValidKeyEpoch(epoch)) throw new RangeError(`oprfPublicKeys: ${JSON.stringify(epoch)} is not a key epoch label`);
  try {
    parseOprfPublicKey(key);
  } catch (error) {
    throw new RangeError(`oprfPublicKeys.${epoch}: ${(error as Error).message}`);
  }
  return [epoch, key];
}
