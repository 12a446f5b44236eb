import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { WebhookVerificationError, verifyWebhook } from './webhook.js';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const event = { type: 'alert.created', timestamp: '2026-12-01T12:00:00.000Z', data: { alertId: 'a1', otherHolderCount: 2 } };

// What the server's delivery job sends: the exact body bytes, signed.
function delivery(body: string, at = new Date(), signWith = secret) {
  const id = `msg_${randomBytes(8).toString('hex')}`;
  return {
    body,
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(signWith).sign(id, at, body),
    },
  };
}

describe('verifyWebhook', () => {
  it('returns the event of a correctly signed delivery, from Node-style or fetch-style headers', () => {
    const { body, headers } = delivery(JSON.stringify(event));
    expect(verifyWebhook(body, headers, secret)).toEqual(event);
    expect(verifyWebhook(Buffer.from(body), new Headers(headers), secret)).toEqual(event);
    const shouted = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), [v]]));
    expect(verifyWebhook(body, shouted, secret)).toEqual(event);
  });

  it('accepts a delivery when one of several signatures matches (secret rotation)', () => {
    const { body, headers } = delivery(JSON.stringify(event));
    const other = `v1,${randomBytes(32).toString('base64')}`;
    expect(verifyWebhook(body, { ...headers, 'webhook-signature': `${other} ${headers['webhook-signature']}` }, secret)).toEqual(event);
  });

  it('refuses a tampered body, a wrong secret, a stale timestamp and missing headers', () => {
    const { body, headers } = delivery(JSON.stringify(event));
    expect(() => verifyWebhook(body.replace('"otherHolderCount":2', '"otherHolderCount":3'), headers, secret)).toThrow(
      WebhookVerificationError,
    );
    expect(() => verifyWebhook(body, headers, `whsec_${randomBytes(32).toString('base64')}`)).toThrow(WebhookVerificationError);
    const old = delivery(JSON.stringify(event), new Date(Date.now() - 10 * 60_000));
    expect(() => verifyWebhook(old.body, old.headers, secret)).toThrow('Message timestamp too old');
    const { ['webhook-signature']: _dropped, ...unsigned } = headers;
    expect(() => verifyWebhook(body, unsigned, secret)).toThrow('Missing required headers');
  });

  it('refuses a correctly signed body that is not a Sigfed event', () => {
    const { body, headers } = delivery(JSON.stringify({ hello: 'world' }));
    expect(() => verifyWebhook(body, headers, secret)).toThrow(/not a Sigfed event/);
  });
});
