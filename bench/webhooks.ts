import type { Fleet } from './fleet.js';
import { dataOf, gql } from './http.js';
import { AlertRowObserver, WebhookReceiver, type AlertObserver } from './latency.js';
import { sleep } from './stats.js';
import type { BenchMember } from './members.js';

/**
 * What the server processes need for the bench: endpoints on the loopback
 * receiver allowed (issue 5's SSRF rules), and the per-member rate limits
 * and submission quota (issue 7), the submission and evaluation budgets and
 * the probing throttle (issue 11, 14) raised so they do not cap a throughput
 * test. Their Redis checks still run on every request.
 */
export const BENCH_SERVER_ENV = {
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
  RATE_LIMIT_POINTS: '1000000000',
  SUBMISSION_QUOTA_PER_HOUR: '1000000000',
  SUBMISSION_BUDGET_POINTS: '1000000000',
  SUBMISSION_QUOTA_PER_HOUR_IP_RANGE: '1000000000',
  // Ingest sends millions of new tokens from one member: exactly what the probing throttle stops.
  PROBING_MIN_INDICATORS: '1000000000',
  // The campaign phase's latency calls overlap when the machine is slow.
  SUBMISSION_MEMBER_CONCURRENCY: '8',
  OPRF_EVALUATIONS_PER_HOUR: '1000000000',
  OPRF_EVALUATIONS_PER_HOUR_IP_RANGE: '1000000000',
};

/** Whether this build has the webhook API (createWebhookEndpoint). */
export async function webhooksAvailable(fleet: Fleet, members: BenchMember[]): Promise<boolean> {
  const answer = await gql(fleet.apis[0].url, 'mutation Probe { createWebhookEndpoint }', {}, await members[0].tokens.get());
  return !answer.errors?.some((e) => e.message.includes('Cannot query field "createWebhookEndpoint"'));
}

const CREATE = `mutation Create($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { endpoint { id } }
}`;
const DELETE = 'mutation Delete($id: ID!) { deleteWebhookEndpoint(id: $id) }';
const TEST = 'mutation Test($id: ID!) { sendTestWebhook(endpointId: $id) { id } }';

/**
 * The observer for the latency phases: the webhook receiver when this build
 * delivers webhooks (a test event must arrive within 15 s), otherwise the
 * alert-row observer, with the reason in `note`.
 */
export async function startAlertObserver(
  fleet: Fleet,
  members: BenchMember[],
  databaseUrl: string,
): Promise<{ observer: AlertObserver; note: string }> {
  if (!(await webhooksAvailable(fleet, members))) {
    return { observer: await AlertRowObserver.start(databaseUrl), note: 'this build has no webhook API (issue 5 not landed)' };
  }
  const receiver = await registerWebhookReceivers(fleet, members);
  const deadline = Date.now() + 15_000;
  while (receiver.deliveries === 0 && Date.now() < deadline) await sleep(100);
  if (receiver.deliveries > 0) return { observer: receiver, note: 'webhooks delivered to a loopback receiver' };
  await receiver.close();
  return {
    observer: await AlertRowObserver.start(databaseUrl),
    note: 'this build has the webhook API but delivered no test webhook within 15 s (issue 5 not complete)',
  };
}

/**
 * A loopback receiver with one `alert.created` endpoint per member, created
 * through the GraphQL API; closing it deletes the endpoints again, so that
 * the ingest phases measured later do not also deliver webhooks.
 */
export async function registerWebhookReceivers(fleet: Fleet, members: BenchMember[]): Promise<WebhookReceiver> {
  const receiver = await WebhookReceiver.start();
  const api = fleet.apis[0].url;
  const created: { member: BenchMember; id: string }[] = [];
  for (const member of members) {
    const data = dataOf(
      'createWebhookEndpoint',
      await gql<{ createWebhookEndpoint: { endpoint: { id: string } } }>(
        api,
        CREATE,
        { input: { url: `${receiver.url}/lab-${member.index + 1}`, description: 'bench receiver', eventTypes: ['alert.created'] } },
        await member.tokens.get(),
      ),
    );
    created.push({ member, id: data.createWebhookEndpoint.endpoint.id });
  }
  const first = created[0];
  dataOf('sendTestWebhook', await gql(api, TEST, { id: first.id }, await first.member.tokens.get()));
  const close = receiver.close.bind(receiver);
  receiver.close = async () => {
    for (const { member, id } of created) dataOf('deleteWebhookEndpoint', await gql(api, DELETE, { id }, await member.tokens.get()));
    await close();
  };
  return receiver;
}
