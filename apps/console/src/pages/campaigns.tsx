import { useState } from 'preact/hooks';
import { CAMPAIGN, CAMPAIGNS, type Campaign } from '../operations.js';
import type { Session } from '../session.js';
import { Badge, ErrorBox, Section, useLoad } from '../ui.js';

/** A campaign day (the API keeps observedAt to the UTC day). */
const day = (iso: string) => iso.slice(0, 10);
const short = (token: string) => `${token.slice(0, 8)}…`;
const TYPE_LABEL: Record<string, string> = {
  PAYMENT_FINGERPRINT: 'card',
  IP_RANGE: 'IP range',
  PROMPT_TEMPLATE: 'template',
  ACCOUNT_SIGNAL: 'signal',
};

/** The campaigns your bundles are in: list, and a detail with your bundles, the linking tokens and a picture of them. */
export function CampaignsPage({ session }: { session: Session }) {
  const [status, setStatus] = useState('ACTIVE');
  const [selected, setSelected] = useState<string | undefined>();
  const list = useLoad(async () => {
    const filter = status ? { status } : {};
    const page = await session.gql<{ campaigns: { edges: { node: Campaign }[] } }>(CAMPAIGNS, { filter });
    return page.campaigns.edges.map((e) => e.node);
  }, [status]);
  return (
    <div class="split">
      <Section
        title="Campaigns"
        actions={
          <button type="button" onClick={list.reload}>
            Refresh
          </button>
        }
      >
        <form class="filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            Status
            <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
              <option value="">any</option>
              <option value="ACTIVE">active</option>
              <option value="CLOSED">closed</option>
            </select>
          </label>
        </form>
        <ErrorBox error={list.error} />
        {list.data?.length === 0 ? (
          <p class="empty">
            No campaigns{status ? ` with status ${status.toLowerCase()}` : ''}. A campaign appears when your bundles share tokens with other
            members' bundles.
          </p>
        ) : null}
        {list.data?.length ? (
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Days</th>
                <th scope="col">Members</th>
                <th scope="col">Bundles (all)</th>
                <th scope="col">Yours</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((c) => (
                <tr class={c.id === selected ? 'selected' : ''} data-campaign={c.id}>
                  <td>
                    <button type="button" class="link" onClick={() => setSelected(c.id)}>
                      {day(c.firstSeenAt)} to {day(c.lastSeenAt)}
                    </button>
                  </td>
                  <td>{c.memberCount}</td>
                  <td>{c.bundleCount}</td>
                  <td>{c.ownBundles.length}</td>
                  <td>
                    <Badge kind={c.status === 'ACTIVE' ? 'warn' : 'info'}>{c.status}</Badge>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Section>
      {selected ? <CampaignDetail key={selected} session={session} id={selected} /> : null}
    </div>
  );
}

function CampaignDetail({ session, id }: { session: Session; id: string }) {
  const { data: c, error } = useLoad(async () => (await session.gql<{ campaign: Campaign }>(CAMPAIGN, { id })).campaign, [id]);
  if (!c) return <ErrorBox error={error} />;
  const indirect = c.ownBundles.filter((b) => !b.directMatch);
  const rows: [string, string | number][] = [
    ['Campaign id', c.id],
    ['Status', c.status],
    ['Version', c.version],
    ['Days', `${day(c.firstSeenAt)} to ${day(c.lastSeenAt)}`],
    ['Members', c.memberCount],
    ['Bundles, all members', c.bundleCount],
    ['Disclosed members', c.disclosedMembers.length ? c.disclosedMembers.join(', ') : 'none disclosed their name'],
  ];
  return (
    <Section title="Campaign detail">
      <ErrorBox error={error} />
      <dl class="facts">
        {rows.map(([label, value]) => (
          <>
            <dt>{label}</dt>
            <dd class={label === 'Campaign id' ? 'mono' : ''}>{value}</dd>
          </>
        ))}
      </dl>
      <LinkPicture campaign={c} />
      <h3>Your bundles</h3>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Your bundleRef</th>
            <th scope="col">Direct match</th>
          </tr>
        </thead>
        <tbody>
          {c.ownBundles.map((b) => (
            <tr data-bundle={b.bundleRef}>
              <td>{b.bundleRef}</td>
              <td>{b.directMatch ? 'yes' : <Badge kind="warn">no: found only through the campaign</Badge>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {indirect.length ? (
        <p class="muted">
          Bundles marked “no” ({indirect.length}) match nothing on their own: they are in the campaign only because they share tokens with
          your other bundles in it.
        </p>
      ) : null}
      <h3>Linking tokens (yours)</h3>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Key epoch</th>
            <th scope="col">Token</th>
          </tr>
        </thead>
        <tbody>
          {c.linkingTokens.map((t) => (
            <tr>
              <td>{t.type}</td>
              <td>{t.keyEpoch}</td>
              <td class="mono">{t.token}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Tokens by type (all bundles)</h3>
      <dl class="facts">
        {c.tokenCounts.map((t) => (
          <>
            <dt>{t.type}</dt>
            <dd>{t.count}</dd>
          </>
        ))}
      </dl>
    </Section>
  );
}

/**
 * Your bundles on the left, the linking tokens you hold in the middle, the
 * other members on the right. The API does not say which of your bundles
 * holds which linking token, so bundles with a direct match join the tokens
 * together (solid lines) and the others join your directly matched bundles
 * (dashed lines: through tokens only your own bundles share).
 */
function LinkPicture({ campaign: c }: { campaign: Campaign }) {
  const rowH = 34;
  const bundles = c.ownBundles;
  const tokens = c.linkingTokens;
  const rows = Math.max(bundles.length, tokens.length, 1);
  const height = rows * rowH + 30;
  const width = 520;
  const bx = 10;
  const bw = 170;
  const tx = 220;
  const tw = 150;
  const mx = 400;
  const y = (i: number, n: number) => 20 + ((rows - n) * rowH) / 2 + i * rowH;
  const direct = bundles.map((b, i) => ({ b, i })).filter(({ b }) => b.directMatch);
  const others = c.memberCount - 1;
  const my = height / 2 - 14;
  const describe = `${bundles.length} of your bundles (${direct.length} with a direct match) linked through ${tokens.length} linking token${
    tokens.length === 1 ? '' : 's'
  } to ${others} other member${others === 1 ? '' : 's'}`;
  return (
    <figure class="campaign-picture">
      <svg role="img" aria-label={describe} viewBox={`0 0 ${width} ${height}`} width="100%">
        {direct.flatMap(({ i }) =>
          tokens.map((_t, j) => (
            <line x1={bx + bw} y1={y(i, bundles.length) + 12} x2={tx} y2={y(j, tokens.length) + 12} stroke="#4a6fa5" stroke-width="1.5" />
          )),
        )}
        {bundles.map((b, i) =>
          b.directMatch || direct.length === 0 ? null : (
            <path
              d={`M ${bx + bw} ${y(i, bundles.length) + 12} C ${bx + bw + 40} ${y(i, bundles.length) + 12}, ${bx + bw + 40} ${
                y(direct[0].i, bundles.length) + 12
              }, ${bx + bw} ${y(direct[0].i, bundles.length) + 12}`}
              fill="none"
              stroke="#a05a00"
              stroke-width="1.5"
              stroke-dasharray="4 3"
            />
          ),
        )}
        {tokens.map((_t, j) => (
          <line x1={tx + tw} y1={y(j, tokens.length) + 12} x2={mx} y2={my + 14} stroke="#4a6fa5" stroke-width="1.5" />
        ))}
        {bundles.map((b, i) => (
          <g>
            <rect
              x={bx}
              y={y(i, bundles.length)}
              width={bw}
              height={24}
              rx={4}
              fill={b.directMatch ? '#e6eef8' : '#fff3e0'}
              stroke="#333"
            />
            <text x={bx + 8} y={y(i, bundles.length) + 16} font-size="12" fill="#111">
              {b.bundleRef.length > 22 ? `${b.bundleRef.slice(0, 21)}…` : b.bundleRef}
            </text>
          </g>
        ))}
        {tokens.map((t, j) => (
          <g>
            <rect x={tx} y={y(j, tokens.length)} width={tw} height={24} rx={12} fill="#f4f4f4" stroke="#333" />
            <text x={tx + 10} y={y(j, tokens.length) + 16} font-size="12" fill="#111">
              {TYPE_LABEL[t.type] ?? t.type} {short(t.token)}
            </text>
          </g>
        ))}
        <rect x={mx} y={my} width={110} height={28} rx={4} fill="#eee" stroke="#333" />
        <text x={mx + 8} y={my + 18} font-size="12" fill="#111">
          {others} other member{others === 1 ? '' : 's'}
        </text>
      </svg>
      <figcaption class="muted">
        Your bundles (blue: a direct match; orange: none, linked through your own bundles, dashed), the linking tokens you hold, and the
        other members holding them.
      </figcaption>
    </figure>
  );
}
