import { useState } from 'preact/hooks';
import { HEALTH, LIFT_THROTTLE, MEMBERS, REINSTATE, SET_QUOTA, SUSPEND, type Activity, type Health, type Member } from '../operations.js';
import type { Session } from '../session.js';
import { ago, Badge, ErrorBox, Section, useAction, useLoad } from '../ui.js';

const ATTENTION: Record<string, string> = {
  silent: 'silent: nothing submitted for 7 days',
  failing_receiver: 'failing receiver',
  key_unused: 'key unused for 90 days',
  probing_throttled: 'throttled for probing',
};

interface Row {
  member: Member;
  health?: Health;
  activity?: Activity;
}

async function allMembers(session: Session): Promise<Member[]> {
  const members: Member[] = [];
  let after: string | null = null;
  for (;;) {
    const page: { members: { edges: { node: Member }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } =
      await session.gql(MEMBERS, { after });
    members.push(...page.members.edges.map((e) => e.node));
    if (!page.members.pageInfo.hasNextPage) return members;
    after = page.members.pageInfo.endCursor;
  }
}

/** Members at a glance, those needing attention first; suspend, reinstate, quota, probing throttle. */
export function MembersPage({ session }: { session: Session }) {
  const rows = useLoad(async (): Promise<Row[]> => {
    const [members, facts] = await Promise.all([
      allMembers(session),
      session.gql<{ memberHealth: Health[]; memberActivity: Activity[] }>(HEALTH),
    ]);
    const health = new Map(facts.memberHealth.map((h) => [h.memberId, h]));
    const activity = new Map(facts.memberActivity.map((a) => [a.memberId, a]));
    const order = new Map(facts.memberHealth.map((h, i) => [h.memberId, i]));
    return members
      .map((member) => ({ member, health: health.get(member.id), activity: activity.get(member.id) }))
      .sort((a, b) => (order.get(a.member.id) ?? 1e9) - (order.get(b.member.id) ?? 1e9));
  });
  const [acting, setActing] = useState<string | undefined>();
  const needing = (rows.data ?? []).filter((r) => r.health?.attention.length);

  return (
    <>
      <Section
        title="Members needing attention"
        actions={
          <button type="button" onClick={rows.reload}>
            Refresh
          </button>
        }
      >
        <ErrorBox error={rows.error} />
        {rows.data && needing.length === 0 ? <p class="empty">Nothing needs attention.</p> : null}
        <ul class="attention">
          {needing.map((r) => (
            <li data-member={r.member.name}>
              <strong>{r.member.name}</strong>{' '}
              {r.health!.attention.map((a) => (
                <Badge kind={a === 'failing_receiver' ? 'bad' : 'warn'}>{ATTENTION[a] ?? a}</Badge>
              ))}
            </li>
          ))}
        </ul>
      </Section>
      <Section title="Members">
        <div class="scroll">
          <table class="list members">
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Status</th>
                <th scope="col">Last submission</th>
                <th scope="col">Indicators held</th>
                <th scope="col">Webhooks</th>
                <th scope="col">Keys</th>
                <th scope="col">Quota per hour</th>
                <th scope="col">Probing</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(rows.data ?? []).map(({ member, health, activity }) => (
                <>
                  <tr data-member={member.name}>
                    <td>
                      <strong>{member.name}</strong>
                      <div class="muted mono">{member.clientId}</div>
                      {member.role === 'ADMIN' ? <Badge kind="info">admin</Badge> : null}
                    </td>
                    <td>
                      <Badge kind={member.status === 'ACTIVE' ? 'ok' : member.status === 'SUSPENDED' ? 'bad' : 'info'}>
                        {member.status}
                      </Badge>
                      {member.suspendedReason ? <div class="muted">{member.suspendedReason}</div> : null}
                    </td>
                    <td>{ago(health?.lastSubmissionAt)}</td>
                    <td>{health ? health.indicatorsHeld.toLocaleString() : '-'}</td>
                    <td class="webhook-health">
                      {health && health.webhookEndpoints > 0 ? (
                        <>
                          <div>
                            {health.webhookEndpoints} endpoint{health.webhookEndpoints === 1 ? '' : 's'}
                            {health.disabledWebhookEndpoints ? <Badge kind="bad">{health.disabledWebhookEndpoints} disabled</Badge> : null}
                          </div>
                          <div class={health.webhookFailureRate > 0 ? 'bad-text' : 'muted'}>
                            {Math.round(health.webhookFailureRate * 100)}% failed of {health.deliveriesLastDay} (24 h)
                          </div>
                          <div class="muted">
                            oldest undelivered: {health.oldestUndeliveredAt ? ago(health.oldestUndeliveredAt) : 'none'}
                          </div>
                        </>
                      ) : (
                        <span class="muted">none</span>
                      )}
                    </td>
                    <td>
                      {member.keys.filter((k) => k.status === 'ACTIVE').length} active
                      <div class="muted">used {ago(health?.keyLastUsedAt)}</div>
                    </td>
                    <td>{member.indicatorsPerHour ?? <span class="muted">default</span>}</td>
                    <td>
                      {activity?.throttled ? (
                        <Badge kind="bad">throttled</Badge>
                      ) : activity?.probing ? (
                        <Badge kind="warn">probing</Badge>
                      ) : (
                        <span class="muted">no</span>
                      )}
                    </td>
                    <td>
                      {member.role !== 'ADMIN' || member.status === 'SUSPENDED' ? (
                        <button
                          type="button"
                          onClick={() => setActing(acting === member.id ? undefined : member.id)}
                          aria-expanded={acting === member.id}
                        >
                          Manage
                        </button>
                      ) : null}
                    </td>
                  </tr>
                  {acting === member.id ? (
                    <tr class="manage">
                      <td colSpan={9}>
                        <Manage session={session} member={member} throttled={activity?.throttled ?? false} done={rows.reload} />
                      </td>
                    </tr>
                  ) : null}
                </>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
    </>
  );
}

function Manage({ session, member, throttled, done }: { session: Session; member: Member; throttled: boolean; done: () => void }) {
  const [reason, setReason] = useState('');
  const [quota, setQuota] = useState(member.indicatorsPerHour === null ? '' : String(member.indicatorsPerHour));
  const action = useAction();
  const act = (doc: string, vars: Record<string, unknown>) =>
    void action.run(async () => {
      await session.gql(doc, vars);
      done();
    });
  return (
    <div class="manage-box">
      <label>
        Reason (recorded in the audit log)
        <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} maxLength={1000} />
      </label>
      <div class="buttons">
        {member.status === 'ACTIVE' ? (
          <button type="button" class="danger" disabled={!reason || action.busy} onClick={() => act(SUSPEND, { id: member.id, reason })}>
            Suspend
          </button>
        ) : null}
        {member.status === 'SUSPENDED' ? (
          <button type="button" disabled={action.busy} onClick={() => act(REINSTATE, { id: member.id })}>
            Reinstate
          </button>
        ) : null}
        {throttled ? (
          <button type="button" disabled={!reason || action.busy} onClick={() => act(LIFT_THROTTLE, { id: member.id, reason })}>
            Lift probing throttle
          </button>
        ) : null}
      </div>
      <label>
        Submission quota, indicators per hour (empty: the server default)
        <input inputMode="numeric" value={quota} onInput={(e) => setQuota(e.currentTarget.value)} />
      </label>
      <div class="buttons">
        <button
          type="button"
          disabled={action.busy}
          onClick={() => act(SET_QUOTA, { id: member.id, perHour: quota.trim() === '' ? null : Number(quota) })}
        >
          Set quota
        </button>
      </div>
      <ErrorBox error={action.error} />
    </div>
  );
}
