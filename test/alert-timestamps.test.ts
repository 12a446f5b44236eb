import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertsService } from '@app/alerts';
import { connectPg } from '@app/database';
import { TestContext, type TestMember, testToken } from './support/context.js';

const ALERT_FIELDS = 'id firstSeenAt lastSeenAt createdAt updatedAt closedAt acknowledgedAt';

/** Times another member's activity set, to the microsecond Postgres keeps. */
const OTHERS = {
  firstSeenAt: '2026-11-30T10:17:23.456Z',
  lastSeenAt: '2026-12-01T11:42:05.789Z',
  createdAt: '2026-11-30T10:17:23.501Z',
  updatedAt: '2026-12-01T11:42:05.812Z',
  closedAt: '2026-12-01T13:59:59.999Z',
};
/** The member's own act. */
const ACKNOWLEDGED_AT = '2026-12-01T12:34:56.789Z';

const hour = (iso: string) => `${iso.slice(0, 13)}:00:00.000Z`;

describe("timestamps of other members' activity on alerts", () => {
  let ctx: TestContext;
  let owner: pg.Client;
  let member: TestMember;
  let token: string;
  let alertId: string;

  beforeAll(async () => {
    ctx = await TestContext.start();
    owner = await connectPg(process.env.DATABASE_URL!);
    member = await ctx.newMember();
    token = await member.token();
    const match = await owner.query<{ id: string }>(
      `INSERT INTO matches (type, key_epoch, token, holder_count, first_seen_at, last_seen_at)
       VALUES ('ACCOUNT_SIGNAL', '2026-q4', $1, 2, $2, $3) RETURNING id`,
      [Buffer.from(testToken('coarse'), 'hex'), OTHERS.firstSeenAt, OTHERS.lastSeenAt],
    );
    const alert = await owner.query<{ id: string }>(
      `INSERT INTO alerts (match_id, member_id, other_holders, status, verdict, acknowledged_at, created_at, updated_at, closed_at)
       VALUES ($1, $2, 1, 'CLOSED', 'UNDER_REVIEW', $3, $4, $5, $6) RETURNING id`,
      [match.rows[0].id, member.id, ACKNOWLEDGED_AT, OTHERS.createdAt, OTHERS.updatedAt, OTHERS.closedAt],
    );
    alertId = alert.rows[0].id;
  });
  afterAll(async () => {
    await ctx?.close();
    await owner?.end();
  });

  const expected = {
    firstSeenAt: hour(OTHERS.firstSeenAt),
    lastSeenAt: hour(OTHERS.lastSeenAt),
    createdAt: hour(OTHERS.createdAt),
    updatedAt: hour(OTHERS.updatedAt),
    closedAt: hour(OTHERS.closedAt),
    acknowledgedAt: ACKNOWLEDGED_AT,
  };

  it("truncates them to the hour (UTC) in alert and alerts; the member's own acknowledgedAt stays exact", async () => {
    const one = await ctx.gql<{ alert: Record<string, string> }>(
      `query($id: ID!) { alert(id: $id) { ${ALERT_FIELDS} } }`,
      { id: alertId },
      token,
    );
    expect(one.errors).toBeUndefined();
    expect(one.data!.alert).toEqual({ id: alertId, ...expected });
    const list = await ctx.gql<{ alerts: { edges: { cursor: string; node: Record<string, string> }[] } }>(
      `{ alerts(first: 5) { edges { cursor node { ${ALERT_FIELDS} } } } }`,
      {},
      token,
    );
    expect(list.data!.alerts.edges.map((e) => e.node)).toEqual([{ id: alertId, ...expected }]);
    // The cursor is opaque but readable: it must not carry the exact time either.
    const cursor = Buffer.from(list.data!.alerts.edges[0].cursor, 'base64url').toString('utf8');
    expect(cursor).not.toMatch(/2026-11-30|\.501/);
  });

  it('renders webhook and stream payloads (getMany) the same way', async () => {
    const [alert] = await ctx.app.get(AlertsService).getMany(member.id, [alertId]);
    expect({
      firstSeenAt: alert.firstSeenAt.toISOString(),
      lastSeenAt: alert.lastSeenAt.toISOString(),
      createdAt: alert.createdAt.toISOString(),
      updatedAt: alert.updatedAt.toISOString(),
      closedAt: alert.closedAt!.toISOString(),
      acknowledgedAt: alert.acknowledgedAt!.toISOString(),
    }).toEqual(expected);
  });

  it('compares filter.since at the hour too, so it cannot be used to find the exact updatedAt', async () => {
    const ids = async (since: string) =>
      (
        await ctx.gql<{ alerts: { edges: { node: { id: string } }[] } }>(
          'query($since: DateTime) { alerts(first: 5, filter: { since: $since }) { edges { node { id } } } }',
          { since },
          token,
        )
      ).data!.alerts.edges.map((e) => e.node.id);
    // Just after the exact updatedAt, within its hour: still listed.
    expect(await ids('2026-12-01T11:42:05.813Z')).toEqual([alertId]);
    expect(await ids('2026-12-01T11:59:59.999Z')).toEqual([alertId]);
    expect(await ids('2026-12-01T12:00:00.000Z')).toEqual([]);
  });
});
