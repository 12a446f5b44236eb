import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signWebhook } from './signing.js';

describe('signWebhook', () => {
  const body = '{"type":"webhook.test","timestamp":"2026-11-26T12:00:00.000Z","data":{"note":"é ✓"}}';
  const at = new Date();

  it('makes headers the standardwebhooks verifier accepts, for each secret in force', () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    expect(current).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const headers = signWebhook('msg_1', at, body, [current, previous]);
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(body, { ...headers })).toMatchObject({ type: 'webhook.test' });
    expect(new Webhook(previous).verify(body, { ...headers })).toMatchObject({ type: 'webhook.test' });
    expect(() => new Webhook(newWebhookSecret()).verify(body, { ...headers })).toThrow();
  });

  it('adds a v1a Ed25519 signature over the same id.timestamp.body', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const headers = signWebhook('msg_2', at, body, [newWebhookSecret()], privateKey);
    const v1a = headers['webhook-signature'].split(' ').find((s) => s.startsWith('v1a,'))!;
    const signed = Buffer.from(`msg_2.${headers['webhook-timestamp']}.${body}`, 'utf8');
    expect(verify(null, signed, createPublicKey(privateKey), Buffer.from(v1a.slice(4), 'base64'))).toBe(true);
  });
});
