/**
 * The two-key token scheme's fixed parameters (docs/two-key-tokens.md):
 * RFC 9497 POPRF over ristretto255-SHA512, elements and proofs as unpadded
 * base64url of their RFC 9497 serializations. Plain module: the evaluation
 * worker thread imports it too.
 */
export const OPRF_SUITE = 'ristretto255-SHA512';
export const OPRF_MODE = 'POPRF';

/** SerializeElement and SerializeScalar lengths of ristretto255. */
export const ELEMENT_BYTES = 32;
export const SCALAR_BYTES = 32;

/** The POPRF public input that binds an output to its type and epoch: `sigfed:v1:<type>:<keyEpoch>`. */
export function oprfInfo(type: string, keyEpoch: string): string {
  return `sigfed:v1:${type}:${keyEpoch}`;
}

/** Bytes as unpadded base64url. */
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * The bytes of an unpadded base64url string of exactly `length` bytes, or
 * undefined when it is not one (other characters, padding, another length,
 * or a non-canonical last character).
 */
export function fromBase64Url(text: string, length: number): Uint8Array | undefined {
  if (text.length !== Math.ceil((length * 4) / 3) || !/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length !== length || bytes.toString('base64url') !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
