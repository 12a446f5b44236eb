import { useState } from 'preact/hooks';
import { QUARANTINED, RELEASE_QUARANTINE, type Quarantined } from '../operations.js';
import type { Session } from '../session.js';
import { ErrorBox, Section, useAction, useLoad, when } from '../ui.js';

const keyOf = (q: Quarantined) => `${q.type}/${q.keyEpoch}/${q.token}`;

/** Tokens members' FALSE_POSITIVE verdicts quarantined: release them, or move them to the suppression list. */
export function QuarantinePage({ session }: { session: Session }) {
  const list = useLoad(async () =>
    (await session.gql<{ quarantinedTokens: { edges: { node: Quarantined }[] } }>(QUARANTINED)).quarantinedTokens.edges.map((e) => e.node),
  );
  const [selected, setSelected] = useState<string | undefined>();
  const current = (list.data ?? []).find((q) => keyOf(q) === selected);
  return (
    <div class="split">
      <Section
        title="Quarantine queue"
        actions={
          <button type="button" onClick={list.reload}>
            Refresh
          </button>
        }
      >
        <p class="muted">
          A token lands here when enough members called its alerts false positives. It matches nothing until you release it (it alerts
          again) or move it to the suppression list (it keeps not alerting, by your decision).
        </p>
        <ErrorBox error={list.error} />
        {list.data?.length === 0 ? <p class="empty">No quarantined tokens.</p> : null}
        {list.data?.length ? (
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Quarantined</th>
                <th scope="col">Type</th>
                <th scope="col">Key epoch</th>
                <th scope="col">Token</th>
                <th scope="col">False positives</th>
                <th scope="col">Confirmations</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((q) => (
                <tr class={keyOf(q) === selected ? 'selected' : ''} data-token={q.token}>
                  <td>
                    <button type="button" class="link" onClick={() => setSelected(keyOf(q))}>
                      {when(q.quarantinedAt)}
                    </button>
                  </td>
                  <td>{q.type}</td>
                  <td>{q.keyEpoch}</td>
                  <td class="mono">{q.token}</td>
                  <td>{q.falsePositives}</td>
                  <td>{q.confirmations}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Section>
      {current ? (
        <Release
          session={session}
          token={current}
          onDone={() => {
            setSelected(undefined);
            list.reload();
          }}
        />
      ) : null}
    </div>
  );
}

function Release({ session, token, onDone }: { session: Session; token: Quarantined; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [suppress, setSuppress] = useState(false);
  const action = useAction();
  return (
    <Section title="Release">
      <dl class="facts">
        <dt>Type</dt>
        <dd>{token.type}</dd>
        <dt>Key epoch</dt>
        <dd>{token.keyEpoch}</dd>
        <dt>Token</dt>
        <dd class="mono">{token.token}</dd>
        <dt>False positives</dt>
        <dd>{token.falsePositives}</dd>
        <dt>Confirmations</dt>
        <dd>{token.confirmations}</dd>
        <dt>Quarantined</dt>
        <dd>{when(token.quarantinedAt)}</dd>
      </dl>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            await session.gql(RELEASE_QUARANTINE, {
              input: { type: token.type, keyEpoch: token.keyEpoch, token: token.token, reason: reason || null, suppress },
            });
            onDone();
          });
        }}
      >
        <fieldset>
          <legend>What happens to it</legend>
          <label class="inline">
            <input type="radio" name="outcome" checked={!suppress} onChange={() => setSuppress(false)} /> release: it matches and alerts
            again
          </label>
          <label class="inline">
            <input type="radio" name="outcome" checked={suppress} onChange={() => setSuppress(true)} /> move to the suppression list
          </label>
        </fieldset>
        <label>
          Reason (kept in the audit log{suppress ? '; required, it becomes the suppression reason' : ''})
          <textarea required={suppress} value={reason} maxLength={1000} rows={2} onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={action.busy}>
          {suppress ? 'Move to suppression list' : 'Release'}
        </button>
        <ErrorBox error={action.error} />
      </form>
    </Section>
  );
}
