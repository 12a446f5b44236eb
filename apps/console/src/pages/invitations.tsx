import { useState } from 'preact/hooks';
import { CREATE_INVITATION, WITHDRAW_INVITATION, type Invitation } from '../operations.js';
import type { Session } from '../session.js';
import { Badge, ErrorBox, Section, ShownOnce, useAction, when } from '../ui.js';

/**
 * Invitations: create one (its token shown once), withdraw one. The API has
 * no list of invitations; this page lists those made in this tab, and
 * withdraws any other by its id.
 */
export function InvitationsPage({ session }: { session: Session }) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [hours, setHours] = useState('72');
  const [token, setToken] = useState<{ organization: string; value: string } | undefined>();
  const [made, setMade] = useState<Invitation[]>([]);
  const [otherId, setOtherId] = useState('');
  const action = useAction();
  const withdraw = (id: string) =>
    void action.run(async () => {
      const result = await session.gql<{ withdrawInvitation: Invitation }>(WITHDRAW_INVITATION, { id });
      setMade((list) => [result.withdrawInvitation, ...list.filter((i) => i.id !== id)]);
    });
  return (
    <>
      <Section title="Invite an organization">
        <form
          class="row-form"
          onSubmit={(e) => {
            e.preventDefault();
            void action.run(async () => {
              const result = await session.gql<{ createInvitation: { invitationToken: string; invitation: Invitation } }>(
                CREATE_INVITATION,
                {
                  input: { organizationName: name, contactEmail: email, expiresInHours: Number(hours) },
                },
              );
              setToken({ organization: name, value: result.createInvitation.invitationToken });
              setMade((list) => [result.createInvitation.invitation, ...list]);
              setName('');
              setEmail('');
            });
          }}
        >
          <label>
            Organization
            <input required value={name} maxLength={200} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label>
            Contact email
            <input required type="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          </label>
          <label>
            Valid for (hours)
            <input inputMode="numeric" value={hours} onInput={(e) => setHours(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={action.busy}>
            Create invitation
          </button>
        </form>
        <ErrorBox error={action.error} />
        {token ? (
          <>
            <ShownOnce label={`Invitation token for ${token.organization}`} value={token.value} />
            <p class="muted">
              Send it to them over a channel you trust; they run <code>sigfed join --invitation &lt;token&gt;</code>.
            </p>
          </>
        ) : null}
      </Section>
      <Section title="Invitations made in this tab">
        {made.length === 0 ? <p class="empty">None yet.</p> : null}
        <table class="list">
          <tbody>
            {made.map((i) => (
              <tr>
                <td>
                  <strong>{i.organizationName}</strong> <span class="muted">{i.contactEmail}</span>
                  <div class="muted mono">{i.id}</div>
                </td>
                <td>
                  {i.withdrawnAt ? (
                    <Badge kind="info">withdrawn</Badge>
                  ) : i.acceptedAt ? (
                    <Badge kind="ok">accepted</Badge>
                  ) : (
                    <Badge kind="warn">open until {when(i.expiresAt)}</Badge>
                  )}
                </td>
                <td>
                  {!i.withdrawnAt && !i.acceptedAt ? (
                    <button type="button" class="danger" onClick={() => withdraw(i.id)}>
                      Withdraw
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <form
          class="row-form"
          onSubmit={(e) => {
            e.preventDefault();
            withdraw(otherId.trim());
          }}
        >
          <label>
            Withdraw another invitation by its id
            <input value={otherId} onInput={(e) => setOtherId(e.currentTarget.value)} class="mono" />
          </label>
          <button type="submit" class="danger" disabled={!otherId.trim()}>
            Withdraw
          </button>
        </form>
      </Section>
    </>
  );
}
