import { ristretto255, ristretto255_oprf } from '@noble/curves/ed25519.js';
import { toBase64Url } from './oprf-suite.js';

/** One evaluateBlinded call, as the pool hands it to a worker thread. */
export interface EvaluationTask {
  secretKey: Uint8Array;
  /** The POPRF info string (oprfInfo). */
  info: string;
  /** Blinded elements, already checked to be 32-byte strings. */
  blinded: Uint8Array[];
}

/** An element the group refuses, by its index in the call. */
export interface InvalidElement {
  index: number;
  reason: 'encoding' | 'identity';
}

/** Evaluated elements (base64url, in order) and the batch proof; or the elements that are not valid. */
export type EvaluationOutcome = { evaluatedElements: string[]; proof: string } | { invalid: InvalidElement[] };

/** The server side of one POPRF context (one info string). */
interface PoprfServer {
  blindEvaluateBatch(secretKey: Uint8Array, blinded: Uint8Array[]): { evaluated: Uint8Array[]; proof: Uint8Array };
}

/** POPRF contexts by info: each costs a hash to scalar and a base multiplication to set up. */
const contexts = new Map<string, PoprfServer>();
const MAX_CONTEXTS = 256;

function contextFor(info: string): PoprfServer {
  let context = contexts.get(info);
  if (!context) {
    if (contexts.size >= MAX_CONTEXTS) contexts.clear();
    context = ristretto255_oprf.poprf(new TextEncoder().encode(info)) as PoprfServer;
    contexts.set(info, context);
  }
  return context;
}

/** Which elements fail to decode, or decode to the identity (RFC 9497 §3.3 says refuse both). */
export function invalidElements(blinded: readonly Uint8Array[]): InvalidElement[] {
  const invalid: InvalidElement[] = [];
  blinded.forEach((bytes, index) => {
    try {
      if (ristretto255.Point.fromBytes(bytes).equals(ristretto255.Point.ZERO)) invalid.push({ index, reason: 'identity' });
    } catch {
      invalid.push({ index, reason: 'encoding' });
    }
  });
  return invalid;
}

/**
 * RFC 9497 BlindEvaluate of every element with one batched DLEQ proof
 * (GenerateProof over all pairs). The elements are decoded once, by the
 * library; only when it refuses the batch are they checked one by one, to
 * name which.
 */
export default function evaluate(task: EvaluationTask): EvaluationOutcome {
  try {
    const { evaluated, proof } = contextFor(task.info).blindEvaluateBatch(task.secretKey, task.blinded);
    return { evaluatedElements: evaluated.map(toBase64Url), proof: toBase64Url(proof) };
  } catch (error) {
    const invalid = invalidElements(task.blinded);
    if (invalid.length > 0) return { invalid };
    throw error;
  } finally {
    // This thread's copy of the key, as the caller wipes its own.
    task.secretKey.fill(0);
  }
}
