import { useState } from 'preact/hooks';
import { ADD_KEY, REVOKE_KEY, type Member } from '../operations.js';
import type { Session } from '../session.js';
import { Badge, ErrorBox, Section, useAction, when } from '../ui.js';

/** Your public keys: add one (its public JWK), revoke one (never the last active key). */
export function KeysPage({ session, me, reload }: { session: Session; me: Member; reload: () => void }) {
  const [jwk, setJwk] = useState('');
  const action = useAction();
  return (
    <>
      <Section title="Your keys">
        <table class="list">
          <thead>
            <tr>
              <th scope="col">kid</th>
              <th scope="col">Algorithm</th>
              <th scope="col">Status</th>
              <th scope="col">Added</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {me.keys.map((k) => (
              <tr>
                <td class="mono">{k.kid}</td>
                <td>{k.alg}</td>
                <td>
                  <Badge kind={k.status === 'ACTIVE' ? 'ok' : 'info'}>{k.status}</Badge>
                </td>
                <td>{when(k.createdAt)}</td>
                <td>{when(k.lastUsedAt)}</td>
                <td>
                  {k.status === 'ACTIVE' ? (
                    <button
                      type="button"
                      class="danger"
                      onClick={() =>
                        void action.run(async () => {
                          await session.gql(REVOKE_KEY, { kid: k.kid });
                          reload();
                        })
                      }
                    >
                      Revoke
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <ErrorBox error={action.error} />
      </Section>
      <Section title="Add a key">
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            void action.run(async () => {
              let parsed: unknown;
              try {
                parsed = JSON.parse(jwk);
              } catch {
                throw new Error('publicJwk: not JSON');
              }
              await session.gql(ADD_KEY, { jwk: parsed });
              setJwk('');
              reload();
            });
          }}
        >
          <label>
            Public JWK (Ed25519 or P-256; the public part only: never paste a private key here)
            <textarea rows={3} value={jwk} onInput={(e) => setJwk(e.currentTarget.value)} class="mono" />
          </label>
          <button type="submit" disabled={action.busy || !jwk}>
            Add key
          </button>
        </form>
      </Section>
    </>
  );
}
