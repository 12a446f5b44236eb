import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPg } from '@app/database';
import { TestContext, type TestMember, testToken } from './support/context.js';

type Holder = { name: string; disclose: boolean; expired?: boolean };

/** The reader and the token's other holders: who discloses, whose indicator has expired. */
const HOLDERS: Holder[] = [
  { name: 'Reader', disclose: true },
  { name: 'Zed discloses', disclose: true },
  { name: 'Alpha discloses', disclose: true },
  { name: 'Quiet', disclose: false },
  { name: 'Expired discloses', disclose: true, expired: true },
  { name: 'Suspended discloses', disclose: true },
];

/**
 * alertView's disclosedHolders (alert_view_facts): the names of the other
 * holders of the token that chose to disclose, are ACTIVE and hold a live
 * indicator, sorted; never the reader's own, whatever it chose; the
 * reader's own reference only.
 */
describe("an alert's disclosed holders", () => {
  let ctx: TestContext;
  let owner: pg.Client;
  const members: TestMember[] = [];
  let alertId: string;

  beforeAll(async () => {
    ctx = await TestContext.start();
    owner = await connectPg(process.env.DATABASE_URL!);
    for (const h of HOLDERS) members.push(await ctx.newMember({ name: h.name }));
    const token = Buffer.from(testToken('disclosed'), 'hex');
    for (const [k, h] of HOLDERS.entries()) {
      await owner.query(
        `WITH ks AS (
           INSERT INTO key_spaces (type, key_epoch) VALUES ('IP_RANGE', '2026-q4')
           ON CONFLICT (type, key_epoch) DO UPDATE SET type = EXCLUDED.type RETURNING id
         )
         INSERT INTO indicators (observed_at, expires_at, member_no, submission_id, key_space, confidence, disclose_identity, token, external_ref)
         SELECT now(), now() + CASE WHEN $3 THEN interval '-1 hour' ELSE interval '30 days' END,
                (SELECT member_no FROM members WHERE id = $1), $4, ks.id, 50, $2, $5, $6
           FROM ks`,
        [members[k].id, h.disclose, h.expired ?? false, randomUUID(), token, `ref-${k}`],
      );
    }
    const match = await owner.query<{ id: string }>(
      `INSERT INTO matches (type, key_epoch, token, holder_count, first_seen_at, last_seen_at)
       VALUES ('IP_RANGE', '2026-q4', $1, $2, now(), now()) RETURNING id`,
      [token, HOLDERS.length],
    );
    const alert = await owner.query<{ id: string }>(
      `INSERT INTO alerts (match_id, member_id, other_holders) VALUES ($1, $2, $3) RETURNING id`,
      [match.rows[0].id, members[0].id, HOLDERS.length - 1],
    );
    alertId = alert.rows[0].id;
    await owner.query(`UPDATE members SET status = 'SUSPENDED', suspended_at = now() WHERE id = $1`, [members[5].id]);
  });
  afterAll(async () => {
    await ctx?.close();
    await owner?.end();
  });

  const view = async () => {
    const res = await ctx.gql<{ alert: { disclosedHolders: string[]; externalRef: string } }>(
      'query($id: ID!) { alert(id: $id) { disclosedHolders externalRef } }',
      { id: alertId },
      await members[0].token(),
    );
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!.alert;
  };

  it('names only the other ACTIVE holders that disclose with a live indicator, sorted, and gives only the own reference', async () => {
    expect(await view()).toEqual({ disclosedHolders: ['Alpha discloses', 'Zed discloses'], externalRef: 'ref-0' });
    const page = await ctx.gql<{ alerts: { edges: { node: { disclosedHolders: string[] } }[] } }>(
      '{ alerts(first: 5) { edges { node { disclosedHolders } } } }',
      {},
      await members[0].token(),
    );
    expect(page.data!.alerts.edges.map((e) => e.node.disclosedHolders)).toEqual([['Alpha discloses', 'Zed discloses']]);
  });

  it('follows a reinstatement and a withdrawn disclosure at the next read', async () => {
    await owner.query(`UPDATE members SET status = 'ACTIVE', suspended_at = NULL WHERE id = $1`, [members[5].id]);
    await owner.query(`UPDATE indicators SET disclose_identity = false WHERE member_no = (SELECT member_no FROM members WHERE id = $1)`, [
      members[1].id,
    ]);
    expect((await view()).disclosedHolders).toEqual(['Alpha discloses', 'Suspended discloses']);
  });
});
