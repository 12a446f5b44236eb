import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { createClient } from 'graphql-ws';
import { Webhook } from 'standardwebhooks';
import { ALERT_FIELDS, SigfedClient, type SigfedCredentials } from '@app/sdk';
import { addApiOptions, apiAction, type ApiOptions } from '../member-api.js';
import { CliFailure, EXIT_REFUSED } from './hash.command.js';
import { loadCredentials } from './hash.command.js';

// Node 20 has no WebSocket client of its own; `ws` is the one the server's graphql-ws uses.
const WebSocketImpl = createRequire(import.meta.url)('ws') as unknown;

const SUBSCRIPTION = `subscription Listen { alertEvents { type occurredAt alert { ${ALERT_FIELDS} } } }`;
const USER_AGENT = 'sigfed-cli-listen/1 (+https://www.standardwebhooks.com/)';
const MAX_BACKOFF_MS = 30_000;

interface AlertEvent {
  type: string;
  occurredAt: string;
  alert: Record<string, unknown> & { id: string; version: number };
}

interface ListenOptions extends ApiOptions {
  forwardTo: string;
  secret?: string;
}

/** How one connection ended: the server's close code, or an error before any close. */
type Ended = { code: number; reason: string } | { error: Error };

/** A new secret in the form the server's endpoints use: `whsec_` + base64 of 32 random bytes. */
export function newLocalSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The body, id and headers the server sends for a webhook delivery
 * (libs/federation/webhooks: `{ type, timestamp, data }`, Standard Webhooks headers),
 * signed with the local secret.
 */
export function signedDelivery(webhook: Webhook, event: AlertEvent): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ type: event.type, timestamp: event.occurredAt, data: event.alert });
  const id = `msg_${randomBytes(20).toString('base64url').slice(0, 27)}`;
  const now = new Date();
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': webhook.sign(id, now, body),
    },
  };
}

/** Runs one graphql-ws connection until it closes; each event goes to `onEvent`. */
function subscribeOnce(client: SigfedClient, onEvent: (event: AlertEvent) => void, onOpen: () => void): Promise<Ended> {
  return new Promise((resolve) => {
    let ended = false;
    const wsUrl = `${client.baseUrl.replace(/^http/, 'ws')}/graphql`;
    const ws = createClient({
      url: wsUrl,
      webSocketImpl: WebSocketImpl,
      connectionParams: async () => ({ authorization: `Bearer ${await client.getAccessToken()}` }),
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: () => undefined,
      on: {
        connected: () => onOpen(),
        closed: (event) => {
          if (ended) return;
          ended = true;
          const { code, reason } = event as { code: number; reason: string };
          void ws.dispose();
          resolve({ code, reason });
        },
      },
    });
    ws.subscribe<{ alertEvents: AlertEvent }>(
      { query: SUBSCRIPTION },
      {
        next: (result) => {
          if (result.data?.alertEvents) onEvent(result.data.alertEvents);
          else if (result.errors?.length) process.stderr.write(`listen: the server sent an error: ${result.errors[0].message}\n`);
        },
        error: (error) => {
          if (ended) return;
          if (error && typeof error === 'object' && 'code' in error && typeof (error as { code: unknown }).code === 'number') return; // `closed` reports it
          ended = true;
          void ws.dispose();
          resolve({
            error:
              error instanceof Error ? error : new Error(Array.isArray(error) ? error.map((e) => e.message).join('; ') : String(error)),
          });
        },
        complete: () => undefined,
      },
    );
  });
}

/**
 * `listen --forward-to <url>`: like `stripe listen`. Subscribes to your live
 * alert events and POSTs each one to a local URL, signed per Standard
 * Webhooks with a local secret it prints, so a receiver can be developed
 * without a public endpoint. On 4401 (the token expired) it reconnects with a
 * fresh token; on a broken connection it backs off and reconnects; 4403
 * (suspended, key revoked) ends it. Events that happen while it is
 * disconnected are not replayed: the `alerts` command lists them.
 */
export function registerListen(program: Command): void {
  addApiOptions(
    program
      .command('listen')
      .description('forward your live alert events to a local URL, signed like webhooks with a local secret')
      .requiredOption('--forward-to <url>', 'where to POST each event, e.g. http://localhost:3000/webhooks')
      .option('--secret <whsec>', 'sign with this secret instead of a new one (keep your receiver configured across runs)'),
  ).action(
    apiAction('listen', async (options: ListenOptions) => {
      if (!options.credentials) throw new CliFailure('--credentials <path> (or SIGFED_CREDENTIALS) is required');
      let target: URL;
      try {
        target = new URL(options.forwardTo);
      } catch {
        throw new CliFailure('--forward-to must be an http:// or https:// URL');
      }
      if (target.protocol !== 'http:' && target.protocol !== 'https:')
        throw new CliFailure('--forward-to must be an http:// or https:// URL');
      const secret = options.secret ?? newLocalSecret();
      let webhook: Webhook;
      try {
        webhook = new Webhook(secret);
      } catch {
        throw new CliFailure('--secret must be a whsec_ secret (base64 after the prefix)');
      }
      const credentials: SigfedCredentials = loadCredentials(options.credentials);
      const newClient = () => SigfedClient.fromCredentials(credentials, { baseUrl: options.server });

      const forward = async (event: AlertEvent) => {
        const { body, headers } = signedDelivery(webhook, event);
        let outcome: string;
        try {
          const res = await fetch(target, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) });
          outcome = `${res.status}`;
        } catch (error) {
          outcome = `failed: ${(error as Error).message}`;
        }
        if (options.json)
          process.stdout.write(
            `${JSON.stringify({ event: event.type, alertId: event.alert.id, version: event.alert.version, webhookId: headers['webhook-id'], status: outcome })}\n`,
          );
        else
          process.stdout.write(
            `${new Date().toISOString()}  ${event.type.padEnd(14)}  ${event.alert.id}  --> POST ${target.href} [${outcome}]\n`,
          );
      };
      // One at a time and in order, as a receiver would get them from the server.
      let queue = Promise.resolve();
      const onEvent = (event: AlertEvent) => (queue = queue.then(() => forward(event)));

      if (options.json) process.stderr.write(`${JSON.stringify({ secret, forwardTo: target.href })}\n`);
      else {
        process.stderr.write(`Your local webhook signing secret is ${secret}\n`);
        process.stderr.write(`Forwarding your alert events to ${target.href} (Ctrl-C stops)\n`);
      }

      let client = newClient();
      let backoff = 1_000;
      for (;;) {
        const ended = await subscribeOnce(client, onEvent, () => {
          backoff = 1_000;
          process.stderr.write('listen: connected, waiting for events\n');
        });
        if ('code' in ended && ended.code === 4401) {
          // The token expired (or was refused): a new client fetches a new one.
          client = newClient();
          process.stderr.write('listen: token expired; reconnecting with a new one\n');
          continue;
        }
        if ('code' in ended && ended.code === 4403) {
          throw new CliFailure(
            `the server ended the subscription: ${ended.reason || 'forbidden'} (4403: suspended, or the key was revoked)`,
            EXIT_REFUSED,
          );
        }
        const why = 'code' in ended ? `closed ${ended.code}${ended.reason ? ` ${ended.reason}` : ''}` : ended.error.message;
        process.stderr.write(`listen: connection lost (${why}); reconnecting in ${backoff / 1000} s\n`);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }),
  );
}
