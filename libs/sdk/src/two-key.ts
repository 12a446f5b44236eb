import { ristretto255_oprf } from '@noble/curves/ed25519.js';
import { OprfVerificationError } from './errors.js';
import { KEY_EPOCH_PATTERN } from './federation-key.js';
import { isIndicatorType, type IndicatorType } from './types.js';

// The two-key scheme (docs/canonicalization.md, "Two-key tokens"): token =
// hex(first 32 bytes of POPRF_k(info, HMAC-SHA256(federationKey, canonical))), RFC 9497 POPRF
// mode with suite ristretto255-SHA512. The member blinds its HMAC, the server evaluates it
// with `k` and proves it did so with the epoch's published key; neither key alone derives a
// token.

/** The RFC 9497 ciphersuite of two-key epochs. */
export const TWO_KEY_SUITE = 'ristretto255-SHA512';
/** The RFC 9497 mode of two-key epochs. */
export const TWO_KEY_MODE = 'POPRF';
/** Bytes of a serialized ristretto255 element (public keys, blinded and evaluated elements). */
export const OPRF_ELEMENT_BYTES = 32;
/** Bytes of a serialized batched DLEQ proof (c || s). */
export const OPRF_PROOF_BYTES = 64;
/** Bytes of the OPRF input: one raw HMAC-SHA256. */
export const OPRF_INPUT_BYTES = 32;

/** A source of random bytes, as RFC 9497's RandomScalar consumes them (tests pass fixed bytes). */
export type RandomBytes = (length?: number) => Uint8Array<ArrayBuffer>;

/** The server's answer to one `evaluateBlinded` call. */
export interface BlindEvaluation {
  /** Unpadded base64url elements, in the order of the blinded elements sent. */
  readonly evaluatedElements: readonly string[];
  /** Unpadded base64url of the batched DLEQ proof (c || s). */
  readonly proof: string;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Unpadded base64url of bytes, as public keys, elements and proofs travel. */
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Decodes unpadded base64url of exactly `length` bytes. Node's decoder skips junk and ignores
 * stray trailing bits, so the text must also be the one canonical encoding of its bytes.
 */
export function fromBase64Url(text: string, length: number, what: string): Uint8Array {
  const bytes = typeof text === 'string' && BASE64URL.test(text) ? Buffer.from(text, 'base64url') : undefined;
  if (bytes === undefined || bytes.length !== length || bytes.toString('base64url') !== text) {
    throw new OprfVerificationError(`${what} must be unpadded base64url of ${length} bytes`);
  }
  return new Uint8Array(bytes);
}

/** The POPRF public input of an epoch and type: UTF-8 of `sigfed:v1:<type>:<keyEpoch>`. */
export function twoKeyInfo(type: IndicatorType, keyEpoch: string): Uint8Array {
  if (!isIndicatorType(type)) throw new RangeError(`unknown indicator type ${JSON.stringify(type)}`);
  if (!KEY_EPOCH_PATTERN.test(keyEpoch))
    throw new RangeError(`key epoch ${JSON.stringify(keyEpoch)} must match ${KEY_EPOCH_PATTERN.source}`);
  return new TextEncoder().encode(`sigfed:v1:${type}:${keyEpoch}`);
}

/** The token of a finalized POPRF output: lowercase hex of its first 32 bytes. */
export function tokenOfOutput(output: Uint8Array): string {
  return Buffer.from(output.subarray(0, 32)).toString('hex');
}

/** Decodes and checks an epoch's published public key (unpadded base64url of 32 bytes). */
export function parseOprfPublicKey(text: string): Uint8Array {
  const bytes = fromBase64Url(text, OPRF_ELEMENT_BYTES, 'an OPRF public key');
  try {
    ristretto255_oprf.poprf(new Uint8Array(0)).blind(new Uint8Array(OPRF_INPUT_BYTES), bytes);
  } catch {
    throw new OprfVerificationError('an OPRF public key must be a valid ristretto255 element other than the identity');
  }
  return bytes;
}

// Computing the POPRF's tweak costs a scalar multiplication: once per info string.
const newSuite = (info: Uint8Array) => ristretto255_oprf.poprf(info);
const suites = new Map<string, ReturnType<typeof newSuite>>();
function suiteFor(info: Uint8Array): ReturnType<typeof newSuite> {
  const id = Buffer.from(info).toString('hex');
  let suite = suites.get(id);
  if (suite === undefined) {
    suite = newSuite(info);
    suites.set(id, suite);
  }
  return suite;
}

/**
 * Inputs blinded for one evaluation. Holds the blinds in memory only: they are never written
 * anywhere, and a batch can be finalized once.
 */
export class BlindedTokens {
  /** Unpadded base64url blinded elements, in input order: what `evaluateBlinded` takes. */
  readonly blindedElements: readonly string[];
  #blinds: Uint8Array[] | undefined;

  /** @internal Use `blindTokens`. */
  constructor(
    private readonly info: Uint8Array,
    private readonly inputs: readonly Uint8Array[],
    private readonly blinded: readonly Uint8Array[],
    blinds: Uint8Array[],
    private readonly tweakedKey: Uint8Array,
  ) {
    this.blindedElements = Object.freeze(blinded.map(toBase64Url));
    this.#blinds = blinds;
  }

  /**
   * Verifies the server's batched proof against the pinned public key, unblinds every
   * element and returns the finalized POPRF outputs (64 bytes each) in input order. Throws
   * OprfVerificationError when the answer is malformed or the proof fails.
   */
  finalizeOutputs(evaluation: BlindEvaluation): Uint8Array[] {
    const blinds = this.#blinds;
    if (blinds === undefined) throw new Error('these blinded tokens were finalized already');
    const { evaluatedElements, proof } = evaluation;
    if (!Array.isArray(evaluatedElements) || evaluatedElements.length !== this.inputs.length) {
      throw new OprfVerificationError(
        `the server returned ${evaluatedElements?.length} evaluated elements for ${this.inputs.length} blinded ones`,
      );
    }
    if (this.inputs.length === 0) return [];
    const proofBytes = fromBase64Url(proof, OPRF_PROOF_BYTES, 'the proof');
    const items = evaluatedElements.map((element, i) => ({
      input: this.inputs[i],
      blind: blinds[i],
      blinded: this.blinded[i],
      evaluated: fromBase64Url(element, OPRF_ELEMENT_BYTES, `evaluatedElements[${i}]`),
    }));
    let outputs: Uint8Array[];
    try {
      outputs = suiteFor(this.info).finalizeBatch(items, proofBytes, this.tweakedKey);
    } catch (error) {
      throw new OprfVerificationError(
        `the server's evaluation for ${new TextDecoder().decode(this.info)} does not verify against the pinned public key (${(error as Error).message})`,
      );
    }
    this.#blinds = undefined;
    blinds.forEach((blind) => blind.fill(0));
    return outputs;
  }

  /** `finalizeOutputs` cut to tokens: lowercase hex of each output's first 32 bytes. */
  finalize(evaluation: BlindEvaluation): string[] {
    return this.finalizeOutputs(evaluation).map(tokenOfOutput);
  }
}

/**
 * RFC 9497 POPRF Blind over any inputs and info string; `blindTokens` is this with Sigfed's
 * info and 32-byte HMAC inputs. `random` is for test vectors only (see `fixedScalars`).
 */
export function blindPoprf(
  publicKey: Uint8Array | string,
  info: Uint8Array,
  inputs: readonly Uint8Array[],
  random?: RandomBytes,
): BlindedTokens {
  const key = parseOprfPublicKey(typeof publicKey === 'string' ? publicKey : toBase64Url(publicKey));
  const suite = suiteFor(info);
  const blinds: Uint8Array[] = [];
  const blinded: Uint8Array[] = [];
  let tweakedKey: Uint8Array | undefined;
  for (const input of inputs) {
    const result = random === undefined ? suite.blind(input, key) : suite.blind(input, key, random);
    blinds.push(result.blind);
    blinded.push(result.blinded);
    tweakedKey ??= result.tweakedKey;
  }
  return new BlindedTokens(
    Uint8Array.from(info),
    inputs.map((input) => Uint8Array.from(input)),
    blinded,
    blinds,
    tweakedKey ?? new Uint8Array(0),
  );
}

/**
 * Blinds 32-byte HMACs (see `deriveHmac`) for `evaluateBlinded` under an epoch's public key
 * (unpadded base64url or raw bytes). The server sees only the blinded elements.
 */
export function blindTokens(
  publicKey: Uint8Array | string,
  type: IndicatorType,
  keyEpoch: string,
  hmacs: readonly Uint8Array[],
  random?: RandomBytes,
): BlindedTokens {
  hmacs.forEach((hmac, i) => {
    if (!(hmac instanceof Uint8Array) || hmac.length !== OPRF_INPUT_BYTES)
      throw new RangeError(`hmacs[${i}] must be ${OPRF_INPUT_BYTES} bytes`);
  });
  return blindPoprf(publicKey, twoKeyInfo(type, keyEpoch), hmacs, random);
}

/** Verifies the server's answer and returns the tokens; the same as `blinded.finalize(evaluation)`. */
export function finalizeTokens(blinded: BlindedTokens, evaluation: BlindEvaluation): string[] {
  return blinded.finalize(evaluation);
}

/**
 * A random source that makes RFC 9497's RandomScalar return the given scalars (32-byte
 * little-endian hex), in turn and then again from the first. For test vectors only: a blind
 * that repeats links a member's requests to each other.
 */
export function fixedScalars(scalarsHex: readonly string[]): RandomBytes {
  // @noble/curves maps 48 random bytes r to (r mod (n - 1)) + 1, so r = scalar - 1 gives it back.
  const outputs = scalarsHex.map((text) => {
    let value = BigInt(`0x${Buffer.from(text, 'hex').reverse().toString('hex')}`) - 1n;
    const bytes = new Uint8Array(48);
    for (let i = 0; i < bytes.length; i++, value >>= 8n) bytes[i] = Number(value & 0xffn);
    return bytes;
  });
  let next = 0;
  return (length) => {
    if (length !== 48) throw new RangeError(`fixedScalars supplies 48-byte draws, asked for ${length}`);
    return Uint8Array.from(outputs[next++ % outputs.length]);
  };
}
