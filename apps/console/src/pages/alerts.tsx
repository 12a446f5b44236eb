import { useEffect, useMemo, useState } from 'preact/hooks';
import { AlertStream, type AlertEvent } from '../live.js';
import { ACKNOWLEDGE, ALERTS, type Alert } from '../operations.js';
import type { Session } from '../session.js';
import { Badge, ErrorBox, Section, useAction, useLoad, when } from '../ui.js';

const TYPES = ['PAYMENT_FINGERPRINT', 'IP_RANGE', 'PROMPT_TEMPLATE', 'ACCOUNT_SIGNAL'];
const VERDICTS = ['CONFIRMED_ABUSE', 'FALSE_POSITIVE', 'UNDER_REVIEW'];
type SortKey = 'priority' | 'createdAt' | 'lastSeenAt' | 'otherHolderCount';

/** Your alerts: filter, sort, detail, verdict; new ones appear as the subscription announces them. */
export function AlertsPage({ session }: { session: Session }) {
  const [status, setStatus] = useState('OPEN');
  const [type, setType] = useState('');
  const [sort, setSort] = useState<SortKey>('priority');
  const [selected, setSelected] = useState<string | undefined>();
  const [live, setLive] = useState<'connecting' | 'live' | 'reconnecting'>('connecting');
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const { data, error, setData } = useLoad(async () => {
    const filter: Record<string, string> = {};
    if (status) filter.status = status;
    if (type) filter.type = type;
    const orderBy = sort === 'priority' ? 'PRIORITY' : 'NEWEST';
    const page = await session.gql<{ alerts: { edges: { node: Alert }[] } }>(ALERTS, { first: 100, filter, orderBy });
    return page.alerts.edges.map((e) => e.node);
  }, [status, type, sort === 'priority']);

  useEffect(() => {
    const stream = new AlertStream(
      session,
      (event: AlertEvent) => {
        setFresh((old) => new Set(old).add(event.alert.id));
        setData((old) => {
          const list = old ?? [];
          const rest = list.filter((a) => a.id !== event.alert.id);
          return [event.alert, ...rest];
        });
      },
      setLive,
    );
    stream.start();
    return () => stream.stop();
  }, [session]);

  const alerts = useMemo(() => {
    const shown = (data ?? []).filter((a) => (!status || a.status === status) && (!type || a.type === type));
    return shown.sort((a, b) =>
      sort === 'priority' || sort === 'otherHolderCount' ? b[sort] - a[sort] || b.id.localeCompare(a.id) : b[sort].localeCompare(a[sort]),
    );
  }, [data, status, type, sort]);
  const current = alerts.find((a) => a.id === selected) ?? (data ?? []).find((a) => a.id === selected);

  return (
    <div class="split">
      <Section
        title="Alerts"
        actions={
          <span class={`live live-${live}`} role="status" aria-live="polite">
            {live === 'live' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
          </span>
        }
      >
        <form class="filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            Status
            <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
              <option value="">any</option>
              <option value="OPEN">open</option>
              <option value="CLOSED">closed</option>
            </select>
          </label>
          <label>
            Type
            <select value={type} onChange={(e) => setType(e.currentTarget.value)}>
              <option value="">any</option>
              {TYPES.map((t) => (
                <option value={t}>{t}</option>
              ))}
            </select>
          </label>
          <label>
            Sort by
            <select value={sort} onChange={(e) => setSort(e.currentTarget.value as SortKey)}>
              <option value="priority">priority</option>
              <option value="createdAt">newest</option>
              <option value="lastSeenAt">last seen</option>
              <option value="otherHolderCount">most other holders</option>
            </select>
          </label>
        </form>
        <ErrorBox error={error} />
        {alerts.length === 0 ? (
          <p class="empty">No alerts{status ? ` with status ${status.toLowerCase()}` : ''}. New matches appear here as they happen.</p>
        ) : (
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Priority</th>
                <th scope="col">Type</th>
                <th scope="col">Your reference</th>
                <th scope="col">Others</th>
                <th scope="col">Status</th>
                <th scope="col">Your verdict</th>
              </tr>
            </thead>
            <tbody>
              {alerts.map((a) => (
                <tr class={`${a.id === selected ? 'selected' : ''} ${fresh.has(a.id) ? 'fresh' : ''}`} data-alert={a.id}>
                  <td>
                    <button type="button" class="link" onClick={() => setSelected(a.id)}>
                      {when(a.createdAt)}
                    </button>
                  </td>
                  <td>{a.priority}</td>
                  <td>{a.type}</td>
                  <td>{a.externalRef ?? '-'}</td>
                  <td>{a.otherHolderCount}</td>
                  <td>
                    <Badge kind={a.status === 'OPEN' ? 'warn' : 'info'}>{a.status}</Badge>
                  </td>
                  <td>{a.verdict ?? <span class="muted">none yet</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      {current ? (
        <AlertDetail
          session={session}
          alert={current}
          onChange={(a) => setData((old) => (old ?? []).map((x) => (x.id === a.id ? a : x)))}
        />
      ) : null}
    </div>
  );
}

function AlertDetail({ session, alert, onChange }: { session: Session; alert: Alert; onChange: (alert: Alert) => void }) {
  const [verdict, setVerdict] = useState(alert.verdict ?? 'CONFIRMED_ABUSE');
  const [note, setNote] = useState(alert.verdictNote ?? '');
  const action = useAction();
  const rows: [string, string | number][] = [
    ['Alert id', alert.id],
    ['Status', alert.status],
    ['Priority', alert.priority],
    ['Close reason', alert.closeReason ?? '-'],
    ['Version', alert.version],
    ['Type', alert.type],
    ['Match kind', alert.matchKind],
    ['Similarity', alert.similarity === null ? '-' : alert.similarity.toFixed(2)],
    ['Key epoch', alert.keyEpoch],
    ['Token', alert.token],
    ['Your reference', alert.externalRef ?? '-'],
    ['Other holders', alert.otherHolderCount],
    ['Disclosed holders', alert.disclosedHolders.length ? alert.disclosedHolders.join(', ') : 'none disclosed their name'],
    [
      'Verdicts of others',
      `${alert.verdictCounts.confirmedAbuse} confirmed, ${alert.verdictCounts.falsePositive} false positive, ${alert.verdictCounts.underReview} under review`,
    ],
    ['First seen (any holder)', when(alert.firstSeenAt)],
    ['Last seen', when(alert.lastSeenAt)],
    ['Last observed on (UTC day)', alert.lastObservedOn ?? '-'],
    ['Created', when(alert.createdAt)],
    ['Updated', when(alert.updatedAt)],
    ['Acknowledged', when(alert.acknowledgedAt)],
    ['Closed', when(alert.closedAt)],
    ['Your verdict', alert.verdict ?? 'none yet'],
    ['Your note', alert.verdictNote ?? '-'],
  ];
  return (
    <Section title="Alert detail">
      <dl class="facts">
        {rows.map(([label, value]) => (
          <>
            <dt>{label}</dt>
            <dd class={label === 'Token' || label === 'Alert id' ? 'mono' : ''}>{value}</dd>
          </>
        ))}
      </dl>
      <p class="muted">
        Why it matched:{' '}
        {alert.matchKind === 'SIMILAR'
          ? `${alert.otherHolderCount} other member${alert.otherHolderCount === 1 ? ' holds a template signature' : 's hold template signatures'} similar to yours (estimated similarity ${alert.similarity?.toFixed(2) ?? '-'}, epoch ${alert.keyEpoch}).`
          : `${alert.otherHolderCount} other member${alert.otherHolderCount === 1 ? ' holds' : 's hold'} the same token (${alert.type}, epoch ${alert.keyEpoch}).`}{' '}
        Nothing else about them is shared unless they disclosed their name.
      </p>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            const result = await session.gql<{ acknowledgeAlert: Alert }>(ACKNOWLEDGE, { id: alert.id, verdict, note: note || null });
            onChange(result.acknowledgeAlert);
          });
        }}
      >
        <fieldset>
          <legend>Your verdict</legend>
          {VERDICTS.map((v) => (
            <label class="inline">
              <input type="radio" name="verdict" value={v} checked={verdict === v} onChange={() => setVerdict(v)} />{' '}
              {v.replace('_', ' ').toLowerCase()}
            </label>
          ))}
        </fieldset>
        <label>
          Note (for your own records, never shown to others)
          <textarea value={note} maxLength={2000} onInput={(e) => setNote(e.currentTarget.value)} rows={2} />
        </label>
        <button type="submit" disabled={action.busy}>
          Acknowledge
        </button>
        <ErrorBox error={action.error} />
      </form>
    </Section>
  );
}
