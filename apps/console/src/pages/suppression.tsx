import { useState } from 'preact/hooks';
import { SUPPRESS, SUPPRESSED, UNSUPPRESS, type Suppressed } from '../operations.js';
import type { Session } from '../session.js';
import { ErrorBox, Section, useAction, useLoad, when } from '../ui.js';

const TYPES = ['PAYMENT_FINGERPRINT', 'IP_RANGE', 'PROMPT_TEMPLATE', 'ACCOUNT_SIGNAL'];

/** The suppression list: known-benign tokens that never alert. */
export function SuppressionPage({ session }: { session: Session }) {
  const list = useLoad(async () =>
    (await session.gql<{ suppressedTokens: { edges: { node: Suppressed }[] } }>(SUPPRESSED)).suppressedTokens.edges.map((e) => e.node),
  );
  const [type, setType] = useState(TYPES[0]);
  const [keyEpoch, setKeyEpoch] = useState('');
  const [token, setToken] = useState('');
  const [reason, setReason] = useState('');
  const action = useAction();
  return (
    <>
      <Section title="Suppress a token">
        <form
          class="row-form"
          onSubmit={(e) => {
            e.preventDefault();
            void action.run(async () => {
              await session.gql(SUPPRESS, { input: { type, keyEpoch, token, reason } });
              setToken('');
              setReason('');
              list.reload();
            });
          }}
        >
          <label>
            Type
            <select value={type} onChange={(e) => setType(e.currentTarget.value)}>
              {TYPES.map((t) => (
                <option value={t}>{t}</option>
              ))}
            </select>
          </label>
          <label>
            Key epoch
            <input required value={keyEpoch} onInput={(e) => setKeyEpoch(e.currentTarget.value)} />
          </label>
          <label>
            Token (64 hex)
            <input required class="mono" value={token} onInput={(e) => setToken(e.currentTarget.value)} />
          </label>
          <label>
            Reason
            <input required value={reason} maxLength={1000} onInput={(e) => setReason(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={action.busy}>
            Suppress
          </button>
        </form>
        <ErrorBox error={action.error} />
      </Section>
      <Section title="Suppression list">
        <ErrorBox error={list.error} />
        {list.data?.length === 0 ? <p class="empty">No suppressed tokens.</p> : null}
        <table class="list">
          <tbody>
            {(list.data ?? []).map((s) => (
              <tr>
                <td>{s.type}</td>
                <td>{s.keyEpoch}</td>
                <td class="mono">{s.token}</td>
                <td>{s.reason}</td>
                <td>{when(s.createdAt)}</td>
                <td>
                  <button
                    type="button"
                    onClick={() =>
                      void action.run(async () => {
                        await session.gql(UNSUPPRESS, { input: { type: s.type, keyEpoch: s.keyEpoch, token: s.token } });
                        list.reload();
                      })
                    }
                  >
                    Let it alert again
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}
