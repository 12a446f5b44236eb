import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPg } from '@app/database';
import { TestContext, type TestMember, testToken } from './support/context.js';

const PAGE = `query($first: Int, $after: String, $filter: AlertFilter, $orderBy: AlertOrder) {
  alerts(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    edges { node { id type status } } pageInfo { hasNextPage endCursor } } }`;

type Node = { id: string; type: string; status: string };

/** A's alerts: mostly ACCOUNT_SIGNAL, a few IP_RANGE, one PAYMENT_FINGERPRINT, one SIMILAR (PROMPT_TEMPLATE); none URL-like. */
const TYPES = [...Array<string>(14).fill('ACCOUNT_SIGNAL'), 'IP_RANGE', 'IP_RANGE', 'IP_RANGE', 'IP_RANGE', 'PAYMENT_FINGERPRINT'];

/**
 * alerts(filter: { type }) reads the stored type code (alerts.type_code,
 * migration alert_type): every order and page gives exactly the member's
 * alerts of that type, and the code is always the match's, whatever a
 * writer gives.
 */
describe('alerts filtered by type', () => {
  let ctx: TestContext;
  let owner: pg.Client;
  let a: TestMember;
  let b: TestMember;
  let tokenA: string;

  const insertAlert = async (member: TestMember, matchId: string, i: number, status: string) =>
    (
      await owner.query<{ id: string }>(
        `INSERT INTO alerts (match_id, member_id, other_holders, status, closed_at, close_reason, created_at, updated_at, priority_rank)
         SELECT $1, $2, 1, $3::"AlertStatus", CASE WHEN closed THEN now() END, CASE WHEN closed THEN 'NOT_MATCHED'::"AlertCloseReason" END,
                now() - $4::int * interval '1 minute', now() - $4::int * interval '1 minute', ($4::int * 7) % 5
           FROM (SELECT $3::"AlertStatus" = 'CLOSED' AS closed) c
         RETURNING id`,
        [matchId, member.id, status, i],
      )
    ).rows[0].id;

  beforeAll(async () => {
    ctx = await TestContext.start();
    owner = await connectPg(process.env.DATABASE_URL!);
    [a, b] = await Promise.all([ctx.newMember({ name: 'Typed A' }), ctx.newMember({ name: 'Typed B' })]);
    tokenA = await a.token();
    for (const [i, type] of TYPES.entries()) {
      const match = await owner.query<{ id: string }>(
        `INSERT INTO matches (type, key_epoch, token, holder_count, first_seen_at, last_seen_at)
         VALUES ($1::"IndicatorType", '2026-q4', $2, 2, now(), now()) RETURNING id`,
        [type, Buffer.from(testToken(`typed-${i}`), 'hex')],
      );
      await insertAlert(a, match.rows[0].id, i, i % 3 === 0 ? 'CLOSED' : 'OPEN');
      // B holds the IP_RANGE tokens too: its alerts never appear in A's pages.
      if (type === 'IP_RANGE') await insertAlert(b, match.rows[0].id, i, 'OPEN');
    }
    const similar = await owner.query<{ id: string }>(
      `INSERT INTO similar_matches (member_id, key_epoch, digest, holder_count, best_shared, first_seen_at, last_seen_at)
       VALUES ($1, '2026-q4', $2, 2, 20, now(), now()) RETURNING id`,
      [a.id, Buffer.from(testToken('typed-similar'), 'hex')],
    );
    await owner.query(
      `INSERT INTO alerts (similar_match_id, member_id, other_holders, match_kind, similarity, created_at, updated_at)
       VALUES ($1, $2, 1, 'SIMILAR', 0.9, now() - interval '30 minutes', now() - interval '30 minutes')`,
      [similar.rows[0].id, a.id],
    );
  });
  afterAll(async () => {
    await ctx?.close();
    await owner?.end();
  });

  /** Every page of A's list, `first` at a time. */
  const all = async (variables: Record<string, unknown>, first = 3) => {
    const nodes: Node[] = [];
    let after: string | undefined;
    for (;;) {
      const res = await ctx.gql<{ alerts: { edges: { node: Node }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(
        PAGE,
        { ...variables, first, after },
        tokenA,
      );
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      nodes.push(...res.data!.alerts.edges.map((e) => e.node));
      if (!res.data!.alerts.pageInfo.hasNextPage) return nodes;
      after = res.data!.alerts.pageInfo.endCursor;
    }
  };

  it('gives every alert of the type once, in the order of the unfiltered list, in both orders and with a status', async () => {
    for (const orderBy of ['NEWEST', 'PRIORITY']) {
      const everything = await all({ orderBy }, 100);
      expect(everything).toHaveLength(TYPES.length + 1);
      for (const type of ['ACCOUNT_SIGNAL', 'IP_RANGE', 'PAYMENT_FINGERPRINT', 'PROMPT_TEMPLATE']) {
        for (const status of [undefined, 'OPEN', 'CLOSED']) {
          const expected = everything.filter((n) => n.type === type && (status === undefined || n.status === status));
          expect(await all({ orderBy, filter: { type, status } }), `${orderBy} ${type} ${status}`).toEqual(expected);
        }
      }
    }
    expect((await all({ filter: { type: 'PROMPT_TEMPLATE' } })).length).toBe(1);
  });

  it("stores the match's type code whatever the writer gives, and a code for every type", async () => {
    const match = await owner.query<{ id: string }>(
      `INSERT INTO matches (type, key_epoch, token, holder_count, first_seen_at, last_seen_at)
       VALUES ('IP_RANGE', '2026-q4', $1, 2, now(), now()) RETURNING id`,
      [Buffer.from(testToken('typed-claimed'), 'hex')],
    );
    const { rows } = await owner.query<{ code: number; own: number }>(
      `INSERT INTO alerts (match_id, member_id, other_holders, type_code) VALUES ($1, $2, 1, indicator_type_code('ACCOUNT_SIGNAL'))
       RETURNING type_code AS code, indicator_type_code('IP_RANGE') AS own`,
      [match.rows[0].id, b.id],
    );
    expect(rows[0].code).toBe(rows[0].own);
    const updated = await owner.query<{ code: number }>(
      `UPDATE alerts SET type_code = indicator_type_code('ACCOUNT_SIGNAL') WHERE match_id = $1 RETURNING type_code AS code`,
      [match.rows[0].id],
    );
    expect(updated.rows[0].code).toBe(rows[0].own);
    const codes = await owner.query<{ type: string; code: number | null }>(
      `SELECT t::text AS type, indicator_type_code(t) AS code FROM unnest(enum_range(NULL::"IndicatorType")) AS t`,
    );
    expect(codes.rows.every((r) => r.code !== null)).toBe(true);
    expect(new Set(codes.rows.map((r) => r.code)).size).toBe(codes.rows.length);
  });
});
