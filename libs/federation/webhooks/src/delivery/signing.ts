import { createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A new endpoint secret in the Standard Webhooks form: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The three Standard Webhooks headers for one attempt. */
export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs `${id}.${timestamp}.${body}`, the exact string sent: one `v1`
 * (HMAC-SHA256, computed by the `standardwebhooks` package) per secret in
 * force (two during a rotation), and a `v1a` (Ed25519) when a key is given.
 */
export function signWebhook(id: string, timestamp: Date, body: string, secrets: readonly string[], ed25519?: KeyObject): SignedHeaders {
  const seconds = Math.floor(timestamp.getTime() / 1000);
  const signatures = secrets.map((secret) => new Webhook(secret).sign(id, timestamp, body));
  if (ed25519) {
    signatures.push(`v1a,${sign(null, Buffer.from(`${id}.${seconds}.${body}`, 'utf8'), ed25519).toString('base64')}`);
  }
  return { 'webhook-id': id, 'webhook-timestamp': String(seconds), 'webhook-signature': signatures.join(' ') };
}

/** An Ed25519 private key from its PKCS#8 DER bytes. */
export function ed25519PrivateKey(pkcs8: Buffer): KeyObject {
  return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
}
