import { useState } from 'preact/hooks';
import {
  CREATE_ENDPOINT,
  DELETE_ENDPOINT,
  DELIVERIES,
  ENDPOINTS,
  REDELIVER,
  ROTATE_SECRET,
  SEND_TEST,
  type Delivery,
  type Endpoint,
} from '../operations.js';
import type { Session } from '../session.js';
import { Badge, ErrorBox, Section, ShownOnce, useAction, useLoad, when } from '../ui.js';

const EVENT_TYPES = ['alert.created', 'alert.updated', 'alert.closed'];

/** Your webhook endpoints: create (secret shown once), test, deliveries with each attempt, redeliver, rotate. */
export function WebhooksPage({ session }: { session: Session }) {
  const endpoints = useLoad(async () => (await session.gql<{ webhookEndpoints: Endpoint[] }>(ENDPOINTS)).webhookEndpoints);
  const [secret, setSecret] = useState<{ label: string; value: string } | undefined>();
  const [open, setOpen] = useState<string | undefined>();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [types, setTypes] = useState<string[]>(EVENT_TYPES);
  const action = useAction();

  return (
    <>
      <Section title="New webhook endpoint">
        <form
          class="row-form"
          onSubmit={(e) => {
            e.preventDefault();
            void action.run(async () => {
              const made = await session.gql<{ createWebhookEndpoint: { secret: string; endpoint: Endpoint } }>(CREATE_ENDPOINT, {
                input: { url, description: description || null, eventTypes: types },
              });
              setSecret({
                label: `Signing secret of ${made.createWebhookEndpoint.endpoint.url}`,
                value: made.createWebhookEndpoint.secret,
              });
              setUrl('');
              setDescription('');
              endpoints.reload();
            });
          }}
        >
          <label>
            URL
            <input
              type="url"
              required
              value={url}
              onInput={(e) => setUrl(e.currentTarget.value)}
              placeholder="https://receiver.example/sigfed"
            />
          </label>
          <label>
            Label
            <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} maxLength={500} />
          </label>
          <fieldset>
            <legend>Events</legend>
            {EVENT_TYPES.map((t) => (
              <label class="inline">
                <input
                  type="checkbox"
                  checked={types.includes(t)}
                  onChange={(e) => setTypes(e.currentTarget.checked ? [...types, t] : types.filter((x) => x !== t))}
                />{' '}
                {t}
              </label>
            ))}
          </fieldset>
          <button type="submit" disabled={action.busy}>
            Create endpoint
          </button>
        </form>
        <ErrorBox error={action.error} />
        {secret ? <ShownOnce label={secret.label} value={secret.value} /> : null}
      </Section>
      <Section title="Webhook endpoints">
        <ErrorBox error={endpoints.error} />
        {endpoints.data?.length === 0 ? <p class="empty">No endpoints yet.</p> : null}
        {(endpoints.data ?? []).map((endpoint) => (
          <article class="card" aria-label={`Endpoint ${endpoint.url}`}>
            <header class="card-head">
              <div>
                <strong class="mono">{endpoint.url}</strong>{' '}
                {endpoint.description ? <span class="muted">({endpoint.description})</span> : null}
                <div class="muted">
                  {endpoint.eventTypes.join(', ')} · created {when(endpoint.createdAt)}
                  {endpoint.previousSecretExpiresAt ? ` · previous secret signs until ${when(endpoint.previousSecretExpiresAt)}` : ''}
                </div>
              </div>
              <div>
                <Badge kind={endpoint.status === 'ENABLED' ? (endpoint.failingSince ? 'warn' : 'ok') : 'bad'}>
                  {endpoint.status === 'ENABLED'
                    ? endpoint.failingSince
                      ? `failing since ${when(endpoint.failingSince)}`
                      : 'enabled'
                    : 'disabled'}
                </Badge>
              </div>
            </header>
            {endpoint.disabledReason ? <p class="error">Disabled: {endpoint.disabledReason}</p> : null}
            <div class="buttons">
              <button
                type="button"
                onClick={() =>
                  void action.run(async () => {
                    await session.gql(SEND_TEST, { id: endpoint.id });
                    setOpen(endpoint.id);
                  })
                }
              >
                Send a test
              </button>
              <button type="button" onClick={() => setOpen(open === endpoint.id ? undefined : endpoint.id)}>
                {open === endpoint.id ? 'Hide deliveries' : 'Deliveries'}
              </button>
              <button
                type="button"
                onClick={() =>
                  void action.run(async () => {
                    const rotated = await session.gql<{ rotateWebhookSecret: { secret: string } }>(ROTATE_SECRET, { id: endpoint.id });
                    setSecret({ label: `New signing secret of ${endpoint.url}`, value: rotated.rotateWebhookSecret.secret });
                    endpoints.reload();
                  })
                }
              >
                Rotate secret
              </button>
              <button
                type="button"
                class="danger"
                onClick={() =>
                  void action.run(async () => {
                    await session.gql(DELETE_ENDPOINT, { id: endpoint.id });
                    endpoints.reload();
                  })
                }
              >
                Delete
              </button>
            </div>
            {open === endpoint.id ? <Deliveries session={session} endpointId={endpoint.id} /> : null}
          </article>
        ))}
      </Section>
    </>
  );
}

function Deliveries({ session, endpointId }: { session: Session; endpointId: string }) {
  const list = useLoad(
    async () =>
      (await session.gql<{ webhookDeliveries: { edges: { node: Delivery }[] } }>(DELIVERIES, { endpointId })).webhookDeliveries.edges.map(
        (e) => e.node,
      ),
    [endpointId],
  );
  const action = useAction();
  return (
    <div class="deliveries">
      <div class="buttons">
        <button type="button" onClick={list.reload}>
          Refresh deliveries
        </button>
      </div>
      <ErrorBox error={list.error ?? action.error} />
      {list.data?.length === 0 ? <p class="empty">No deliveries yet.</p> : null}
      {(list.data ?? []).map((d) => (
        <details class="delivery">
          <summary>
            <Badge kind={d.status === 'SUCCEEDED' ? 'ok' : d.status === 'FAILED' ? 'bad' : 'warn'}>{d.status}</Badge> {d.eventType} ·{' '}
            {when(d.createdAt)} · {d.attemptCount} attempt{d.attemptCount === 1 ? '' : 's'}
            {d.nextAttemptAt ? ` · next ${when(d.nextAttemptAt)}` : ''}
          </summary>
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Attempt</th>
                <th scope="col">HTTP</th>
                <th scope="col">Latency</th>
                <th scope="col">Response or error</th>
              </tr>
            </thead>
            <tbody>
              {d.attempts.map((a) => (
                <tr>
                  <td>{when(a.attemptedAt)}</td>
                  <td>{a.statusCode ?? '-'}</td>
                  <td>{a.latencyMs === null ? '-' : `${a.latencyMs} ms`}</td>
                  <td class="mono">{a.error ?? a.responseBody ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="muted mono">webhook-id {d.eventId}</p>
          {d.status !== 'PENDING' ? (
            <button
              type="button"
              onClick={() =>
                void action.run(async () => {
                  await session.gql(REDELIVER, { id: d.id });
                  list.reload();
                })
              }
            >
              Redeliver
            </button>
          ) : null}
        </details>
      ))}
    </div>
  );
}
