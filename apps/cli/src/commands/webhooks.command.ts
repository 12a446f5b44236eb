import type { Command } from 'commander';
import {
  addApiOptions,
  allPages,
  apiAction,
  call,
  clientOf,
  fields,
  print,
  printList,
  wholeNumber,
  type ApiOptions,
  type Page,
} from '../member-api.js';
import { CliFailure } from './hash.command.js';

const ENDPOINT_FIELDS =
  'id url description eventTypes status asymmetricSignature failingSince disabledAt disabledReason previousSecretExpiresAt createdAt updatedAt';
const DELIVERY_FIELDS = 'id endpointId eventId eventType status attemptCount createdAt lastAttemptAt nextAttemptAt completedAt';
const LIST = `query Endpoints { webhookEndpoints { ${ENDPOINT_FIELDS} } }`;
const CREATE = `mutation CreateEndpoint($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret endpoint { ${ENDPOINT_FIELDS} } }
}`;
const ROTATE = `mutation RotateSecret($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { ${ENDPOINT_FIELDS} } } }`;
const TEST = `mutation TestEndpoint($id: ID!) { sendTestWebhook(endpointId: $id) { ${DELIVERY_FIELDS} } }`;
const REDELIVER = `mutation Redeliver($id: ID!) { redeliverWebhook(deliveryId: $id) { ${DELIVERY_FIELDS} } }`;
const DELIVERIES = `query Deliveries($endpointId: ID!, $filter: WebhookDeliveryFilter, $first: Int, $after: String) {
  webhookDeliveries(endpointId: $endpointId, filter: $filter, first: $first, after: $after) {
    edges { node { ${DELIVERY_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** Every event type an endpoint can ask for (libs/federation/webhooks/src/webhook-events.ts). */
const EVENT_TYPES = [
  'alert.created',
  'alert.updated',
  'alert.closed',
  'member.key_revoked',
  'member.probing_throttled',
  'webhook.endpoint_disabled',
  'webhook.test',
];
const DELIVERY_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED'];

interface Endpoint {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  status: string;
  asymmetricSignature: boolean;
  failingSince: string | null;
  disabledAt: string | null;
  disabledReason: string | null;
  previousSecretExpiresAt: string | null;
  createdAt: string;
}
interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attemptCount: number;
  createdAt: string;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
}
type WithSecret = { secret: string; endpoint: Endpoint };

const endpointRow = (e: Endpoint) => [e.id, e.status.padEnd(8), e.url, e.eventTypes.join(','), e.description ?? ''].join('  ').trimEnd();
const endpointFields = (e: Endpoint) =>
  fields([
    ['id', e.id],
    ['url', e.url],
    ['status', e.status],
    ['event types', e.eventTypes.join(', ')],
    ['description', e.description],
    ['v1a signature', e.asymmetricSignature ? 'yes' : 'no'],
    ['failing since', e.failingSince],
    ['disabled', e.disabledAt ? `${e.disabledAt} (${e.disabledReason ?? ''})` : null],
    ['previous secret until', e.previousSecretExpiresAt],
  ]);
const deliveryRow = (d: Delivery) =>
  [d.id, d.status.padEnd(9), d.eventType.padEnd(25), d.eventId, `${d.attemptCount} attempt(s)`, d.createdAt].join('  ');
const deliveryFields = (d: Delivery) =>
  fields([
    ['delivery id', d.id],
    ['event id', d.eventId],
    ['event type', d.eventType],
    ['status', d.status],
    ['attempts', d.attemptCount],
    ['next attempt', d.nextAttemptAt],
  ]);

function eventTypes(text: string): string[] {
  const types = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = types.find((t) => !EVENT_TYPES.includes(t));
  if (unknown !== undefined || types.length === 0)
    throw new CliFailure(`--events takes a comma-separated list of: ${EVENT_TYPES.join(', ')}`);
  return types;
}

function printWithSecret(options: ApiOptions, result: WithSecret): void {
  print(options, result, () => [...endpointFields(result.endpoint), ...fields([['secret', result.secret]])]);
  if (!options.json) process.stderr.write('The secret is shown only now; store it where your receiver reads it.\n');
}

/** `webhooks create|list|test|rotate-secret|deliveries|redeliver`. */
export function registerWebhooks(program: Command): void {
  const webhooks = program
    .command('webhooks')
    .description('your webhook endpoints: create, list, test, rotate-secret, deliveries, redeliver');

  addApiOptions(
    webhooks
      .command('create')
      .description('register an endpoint; prints its signing secret once')
      .requiredOption('--url <url>', 'https URL the server POSTs events to (a public address)')
      .option('--events <types>', `comma-separated event types (${EVENT_TYPES.join(', ')})`, 'alert.created,alert.updated,alert.closed')
      .option('--description <text>', 'your own label')
      .option('--asymmetric', 'also sign with the server Ed25519 key (v1a)'),
  ).action(
    apiAction(
      'webhooks create',
      async (options: ApiOptions & { url: string; events: string; description?: string; asymmetric?: boolean }) => {
        const input = {
          url: options.url,
          eventTypes: eventTypes(options.events),
          description: options.description,
          asymmetricSignature: options.asymmetric ?? false,
        };
        printWithSecret(
          options,
          (await call<{ createWebhookEndpoint: WithSecret }>(clientOf(options), CREATE, { input })).createWebhookEndpoint,
        );
      },
    ),
  );

  addApiOptions(webhooks.command('list').description('your endpoints, oldest first')).action(
    apiAction('webhooks list', async (options: ApiOptions) => {
      const data = await call<{ webhookEndpoints: Endpoint[] }>(clientOf(options), LIST);
      printList(options, data.webhookEndpoints, endpointRow, 'endpoint');
    }),
  );

  addApiOptions(
    webhooks.command('test').description('send a webhook.test event to an endpoint').argument('<endpoint-id>', 'the endpoint id'),
  ).action(
    apiAction('webhooks test', async (id: string, options: ApiOptions) => {
      const delivery = (await call<{ sendTestWebhook: Delivery }>(clientOf(options), TEST, { id })).sendTestWebhook;
      print(options, delivery, () => deliveryFields(delivery));
    }),
  );

  addApiOptions(
    webhooks
      .command('rotate-secret')
      .description('new signing secret (printed once); the previous one keeps signing beside it for a grace period')
      .argument('<endpoint-id>', 'the endpoint id'),
  ).action(
    apiAction('webhooks rotate-secret', async (id: string, options: ApiOptions) => {
      printWithSecret(options, (await call<{ rotateWebhookSecret: WithSecret }>(clientOf(options), ROTATE, { id })).rotateWebhookSecret);
    }),
  );

  addApiOptions(
    webhooks
      .command('deliveries')
      .description("an endpoint's deliveries, newest first")
      .argument('<endpoint-id>', 'the endpoint id')
      .option('--status <status>', DELIVERY_STATUSES.join(', '))
      .option('--limit <n>', 'at most this many', '20'),
  ).action(
    apiAction('webhooks deliveries', async (endpointId: string, options: ApiOptions & { status?: string; limit: string }) => {
      const limit = wholeNumber(options.limit, '--limit', 1, 10_000);
      if (options.status !== undefined && !DELIVERY_STATUSES.includes(options.status))
        throw new CliFailure(`--status must be one of ${DELIVERY_STATUSES.join(', ')}`);
      const client = clientOf(options);
      const filter = options.status ? { status: options.status } : null;
      const items = await allPages<Delivery>(
        async (after) =>
          (
            await call<{ webhookDeliveries: Page<Delivery> }>(client, DELIVERIES, {
              endpointId,
              filter,
              first: Math.min(limit, 100),
              after,
            })
          ).webhookDeliveries,
        limit,
      );
      printList(options, items, deliveryRow, 'delivery');
    }),
  );

  addApiOptions(
    webhooks
      .command('redeliver')
      .description('attempt a finished delivery again (same body and webhook-id)')
      .argument('<delivery-id>', 'the delivery id (`webhooks deliveries`)'),
  ).action(
    apiAction('webhooks redeliver', async (id: string, options: ApiOptions) => {
      const delivery = (await call<{ redeliverWebhook: Delivery }>(clientOf(options), REDELIVER, { id })).redeliverWebhook;
      print(options, delivery, () => deliveryFields(delivery));
    }),
  );
}
