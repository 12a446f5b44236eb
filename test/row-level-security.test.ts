import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { connectPg, PrismaService } from '@app/database';
import { TestContext, type TestMember } from './support/context.js';
import { startWorker } from './support/webhooks.js';

/**
 * Row-level security as the second line of member isolation: whatever a
 * query forgets, the API's Postgres role sees and writes only the rows of the
 * member its transaction is scoped to; the worker's role sees every member
 * but may do only what its jobs do; neither owns the tables or bypasses RLS.
 */

/** The member-owned tables RLS guards (matches: a member sees one only through its own alert on it). */
const GUARDED = [
  'indicators',
  'submissions',
  'alerts',
  'taxii_objects',
  'matches',
  'webhook_endpoints',
  'webhook_deliveries',
  'webhook_delivery_attempts',
];

/**
 * Tables with a member_id column that RLS deliberately leaves open to the API's role, and why:
 * authentication reads them before any member is known.
 */
const MEMBER_COLUMN_WITHOUT_RLS: Record<string, string> = {
  member_keys: 'looked up by kid to verify a client assertion, before the member is known',
  invitations: 'looked up by token hash when an invited lab accepts, before it is a member',
};

interface Fixture {
  member: TestMember;
  token: Buffer;
  matchId: string;
  alertId: string;
  endpointId: string;
  deliveryId: string;
}

describe('row-level security', () => {
  let ctx: TestContext;
  let worker: INestApplication;
  let a: Fixture;
  let b: Fixture;
  let admin: TestMember;
  /** Matches beside the shared one: one only B has an alert on, one nobody has. */
  let onlyB: string;
  let orphan: string;

  /** Runs one deliberately unfiltered query as the API's role, scoped to `memberId` (or to nobody). */
  const asApi = <T = Record<string, unknown>>(memberId: string | undefined, sql: string): Promise<T[]> =>
    memberId
      ? ctx.prisma.asMember(memberId, (tx) => tx.$queryRawUnsafe<T[]>(sql))
      : ctx.prisma.$transaction((tx) => tx.$queryRawUnsafe<T[]>(sql));

  /** The member ids of every row of `table` the API's role sees as `memberId`. */
  const memberIdsSeen = async (table: string, memberId: string | undefined): Promise<string[]> => {
    const via: Record<string, string> = {
      indicators: `SELECT m.id AS member_id FROM indicators t JOIN members m ON m.member_no = t.member_no`,
      webhook_deliveries: `SELECT e.member_id FROM webhook_deliveries t JOIN webhook_endpoints e ON e.id = t.endpoint_id`,
      webhook_delivery_attempts: `SELECT e.member_id FROM webhook_delivery_attempts t
                                    JOIN webhook_deliveries d ON d.id = t.delivery_id JOIN webhook_endpoints e ON e.id = d.endpoint_id`,
    };
    const rows = await asApi<{ member_id: string }>(memberId, via[table] ?? `SELECT member_id FROM ${table}`);
    return [...new Set(rows.map((r) => r.member_id))];
  };

  /** The key space of (`type`, 2026-q4), added if missing. */
  async function keySpace(type: string): Promise<number> {
    const [{ id }] = await ctx.db.$queryRaw<{ id: number }[]>`
      INSERT INTO key_spaces (type, key_epoch) VALUES (${type}::"IndicatorType", '2026-q4')
      ON CONFLICT (type, key_epoch) DO UPDATE SET type = EXCLUDED.type RETURNING id`;
    return id;
  }

  /** The member number of member `id`. */
  async function memberNo(id: string): Promise<number> {
    return (await ctx.db.member.findUniqueOrThrow({ where: { id } })).memberNo;
  }

  /** Stores, as the owner, one of everything for `member`: two indicators, a submission, an alert on `matchId`, its TAXII object, an endpoint, a delivery and its attempt. */
  async function seed(member: TestMember, matchId: string, token: Buffer, disclose: boolean): Promise<Fixture> {
    const db = ctx.db;
    const submissionId = randomUUID();
    await db.$executeRaw`INSERT INTO submissions (id, member_id, idempotency_key, request_hash, accepted, duplicates)
                         VALUES (${submissionId}::uuid, ${member.id}::uuid, ${randomUUID()}, ${randomBytes(32)}, 2, 0)`;
    for (const t of [token, randomBytes(32)]) {
      await db.$executeRaw`INSERT INTO indicators (key_space, token, member_no, confidence, observed_at, expires_at,
                                                   disclose_identity, external_ref, submission_id)
                           VALUES (${await keySpace('ACCOUNT_SIGNAL')}, ${t}, ${await memberNo(member.id)}, 80, now(), now() + interval '1 day',
                                   ${disclose}, ${`ref-of-${member.member.name}`}, ${submissionId}::uuid)`;
    }
    const [{ id: alertId }] = await db.$queryRaw<{ id: string }[]>`
      INSERT INTO alerts (match_id, member_id, other_holders) VALUES (${matchId}::uuid, ${member.id}::uuid, 1) RETURNING id`;
    const [{ id: endpointId }] = await db.$queryRaw<{ id: string }[]>`
      INSERT INTO webhook_endpoints (member_id, url, event_types, secret_encrypted)
      VALUES (${member.id}::uuid, 'https://receiver.example/hook', ARRAY['alert.created'], ${randomBytes(48)}) RETURNING id`;
    const [{ id: deliveryId }] = await db.$queryRaw<{ id: string }[]>`
      INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, body, status)
      VALUES (${endpointId}::uuid, ${`msg_${randomUUID()}`}, 'alert.created', '{}', 'SUCCEEDED') RETURNING id`;
    await db.$executeRaw`INSERT INTO webhook_delivery_attempts (delivery_id, status_code, latency_ms) VALUES (${deliveryId}::uuid, 204, 12)`;
    await db.$executeRaw`INSERT INTO taxii_objects (member_id, collection, object_id, type, version, date_added, alert_id, object)
                         VALUES (${member.id}::uuid, 'alerts', ${`indicator--${randomUUID()}`}, 'indicator', now(), now(), ${alertId}::uuid, '{}')`;
    return { member, token, matchId, alertId, endpointId, deliveryId };
  }

  beforeAll(async () => {
    ctx = await TestContext.start();
    worker = await startWorker();
    const [memberA, memberB] = [await ctx.newMember({ name: 'Lab A' }), await ctx.newMember({ name: 'Lab B' })];
    admin = await ctx.newAdmin({ name: 'Operator' });
    const token = randomBytes(32);
    const [{ id: matchId }] = await ctx.db.$queryRaw<{ id: string }[]>`
      INSERT INTO matches (type, key_epoch, token, status, holder_count, first_seen_at, last_seen_at)
      VALUES ('ACCOUNT_SIGNAL', '2026-q4', ${token}, 'OPEN', 2, now(), now()) RETURNING id`;
    a = await seed(memberA, matchId, token, false);
    b = await seed(memberB, matchId, token, true);
    const newMatch = async () =>
      (
        await ctx.db.$queryRaw<{ id: string }[]>`
          INSERT INTO matches (type, key_epoch, token, status, holder_count, first_seen_at, last_seen_at)
          VALUES ('IP_RANGE', '2026-q4', ${randomBytes(32)}, 'OPEN', 2, now(), now()) RETURNING id`
      )[0].id;
    [onlyB, orphan] = [await newMatch(), await newMatch()];
    await ctx.db.$executeRaw`INSERT INTO alerts (match_id, member_id, other_holders) VALUES (${onlyB}::uuid, ${memberB.id}::uuid, 1)`;
  });
  afterAll(async () => {
    await worker?.close();
    await ctx?.close();
  });

  it('runs the API as sigfed_api and the worker as sigfed_worker, neither owning a table nor bypassing RLS', async () => {
    expect(ctx.prisma.role).toBe('api');
    expect(await ctx.prisma.$queryRaw`SELECT current_user AS user`).toEqual([{ user: 'sigfed_api' }]);
    expect(await worker.get(PrismaService).$queryRaw`SELECT current_user AS user`).toEqual([{ user: 'sigfed_worker' }]);

    const roles = await ctx.db.$queryRaw<
      { rolname: string; rolsuper: boolean; rolbypassrls: boolean; rolcreaterole: boolean; rolcreatedb: boolean }[]
    >`
      SELECT rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles
       WHERE rolname IN ('sigfed_api', 'sigfed_worker') ORDER BY rolname`;
    expect(roles).toEqual([
      { rolname: 'sigfed_api', rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false },
      { rolname: 'sigfed_worker', rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false },
    ]);
    const tables = await ctx.db.$queryRaw<{ relname: string; owner: string; rls: boolean; forced: boolean }[]>`
      SELECT c.relname, pg_get_userbyid(c.relowner) AS owner, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind = 'r'`;
    for (const table of tables) expect(['sigfed_api', 'sigfed_worker'], table.relname).not.toContain(table.owner);
    const guarded = tables.filter((t) => GUARDED.includes(t.relname));
    expect(guarded.map((t) => t.relname).sort()).toEqual([...GUARDED].sort());
    // Enabled, not forced: the owner (migrations, operator commands) is not bound.
    expect(guarded.every((t) => t.rls && !t.forced)).toBe(true);
  });

  it('refuses to start an API or worker whose URL connects as a role RLS does not bind (the owner here)', async () => {
    const misconfigured = loadConfig({
      ...process.env,
      API_DATABASE_URL: process.env.DATABASE_URL,
      WORKER_DATABASE_URL: process.env.DATABASE_URL,
    });
    for (const role of ['api', 'worker'] as const) {
      const client = new PrismaService(misconfigured, role);
      try {
        await expect(client.onModuleInit()).rejects.toThrow(/row-level security does not bind/);
      } finally {
        await client.$disconnect();
      }
    }
  });

  it('returns only the scoped member’s rows to a query that forgets its member filter', async () => {
    for (const table of GUARDED.filter((t) => t !== 'matches')) {
      expect(await memberIdsSeen(table, a.member.id), `${table} as A`).toEqual([a.member.id]);
      expect(await memberIdsSeen(table, b.member.id), `${table} as B`).toEqual([b.member.id]);
    }
    const matchIds = async (memberId: string | undefined) =>
      (await asApi<{ id: string }>(memberId, 'SELECT id FROM matches')).map((m) => m.id).sort();
    expect(await matchIds(a.member.id)).toEqual([a.matchId]);
    expect(await matchIds(b.member.id)).toEqual([a.matchId, onlyB].sort());
    expect(await matchIds(undefined)).toEqual([]);
    expect((await ctx.db.$queryRaw<{ id: string }[]>`SELECT id FROM matches`).map((m) => m.id)).toContain(orphan);
    // The owner sees both, so the filter above is RLS's doing, not the data's.
    expect((await ctx.db.$queryRaw<{ n: number }[]>`SELECT count(DISTINCT member_id)::int AS n FROM alerts`)[0].n).toBeGreaterThanOrEqual(
      2,
    );
    const everything = await asApi<{ token: Buffer }>(a.member.id, 'SELECT token FROM indicators');
    expect(everything).toHaveLength(2);
    expect(await asApi(a.member.id, `SELECT * FROM alerts WHERE id = '${b.alertId}'`)).toEqual([]);
  });

  it('returns no rows at all when no member is set, also on a connection a scoped transaction used before', async () => {
    for (const table of GUARDED.filter((t) => t !== 'matches')) expect(await memberIdsSeen(table, undefined), table).toEqual([]);
    const client = await connectPg(ctx.config.database.roleUrls.api);
    try {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('sigfed.member_id', $1, true)`, [a.member.id]);
      expect((await client.query('SELECT count(*)::int AS n FROM indicators')).rows[0].n).toBe(2);
      await client.query('COMMIT');
      // The setting is now '' on this connection rather than unset: still no rows, and no error.
      expect((await client.query('SELECT count(*)::int AS n FROM indicators')).rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
  });

  it('refuses writes of another member’s rows (WITH CHECK) and cannot touch them (USING)', async () => {
    const asA = (sql: string) => ctx.prisma.asMember(a.member.id, (tx) => tx.$executeRawUnsafe(sql));
    const refused = /row-level security/;
    await expect(
      asA(`INSERT INTO indicators (key_space, token, member_no, confidence, observed_at, expires_at, submission_id)
           VALUES (${await keySpace('IP_RANGE')}, decode(repeat('ab', 32), 'hex'), ${await memberNo(b.member.id)}, 50, now(),
                   now() + interval '1 day', gen_random_uuid())`),
    ).rejects.toThrow(refused);
    await expect(
      asA(`INSERT INTO webhook_endpoints (member_id, url, secret_encrypted) VALUES ('${b.member.id}', 'https://x.example/', '\\x00')`),
    ).rejects.toThrow(refused);
    await expect(
      asA(
        `INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, body) VALUES ('${b.endpointId}', 'msg_x', 'webhook.test', '{}')`,
      ),
    ).rejects.toThrow(refused);
    await expect(
      asA(
        `INSERT INTO submissions (member_id, idempotency_key, request_hash, accepted, duplicates) VALUES ('${b.member.id}', 'k', '\\x00', 0, 0)`,
      ),
    ).rejects.toThrow(refused);
    // Handing one's own row to another member is a write of the other's row too.
    await expect(asA(`UPDATE webhook_endpoints SET member_id = '${b.member.id}' WHERE id = '${a.endpointId}'`)).rejects.toThrow(refused);
    // Another member's rows are invisible to UPDATE and DELETE: nothing changes.
    expect(await asA(`UPDATE alerts SET verdict = 'FALSE_POSITIVE'`)).toBe(1);
    expect(await asA(`DELETE FROM webhook_endpoints WHERE member_id = '${b.member.id}'`)).toBe(0);
    expect(await asA(`UPDATE webhook_endpoints SET url = 'https://evil.example/' WHERE id = '${b.endpointId}'`)).toBe(0);
    // Retraction's function deletes the scoped member's own records only, whatever tokens it is given.
    const retract = (memberId: string, token: Buffer) =>
      ctx.prisma.asMember(
        memberId,
        (tx) =>
          tx.$queryRaw<
            { retracted: string }[]
          >`SELECT retracted FROM retract_own_indicators('ACCOUNT_SIGNAL', '2026-q4', ARRAY[${token.toString('hex')}])`,
      );
    await ctx.db.$executeRaw`INSERT INTO indicators (key_space, token, member_no, confidence, observed_at, expires_at, submission_id)
                             VALUES (${await keySpace('ACCOUNT_SIGNAL')}, ${Buffer.alloc(32, 7)}, ${await memberNo(b.member.id)}, 50, now(),
                                     now() + interval '1 day', gen_random_uuid())`;
    expect(await retract(a.member.id, Buffer.alloc(32, 7))).toEqual([]); // B's own record stays whatever A asks
    expect(
      await ctx.prisma.$transaction(
        (tx) =>
          tx.$queryRaw`SELECT * FROM retract_own_indicators('ACCOUNT_SIGNAL', '2026-q4', ARRAY[${Buffer.alloc(32, 7).toString('hex')}])`,
      ),
    ).toEqual([]);
    expect(await retract(b.member.id, Buffer.alloc(32, 7))).toEqual([{ retracted: Buffer.alloc(32, 7).toString('hex') }]);
    const [bAlert] = await ctx.db.$queryRaw<{ verdict: string | null }[]>`SELECT verdict::text FROM alerts WHERE id = ${b.alertId}::uuid`;
    expect(bAlert.verdict).toBeNull();
    expect(
      (
        await ctx.db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM indicators WHERE member_no = ${await memberNo(b.member.id)}`
      )[0].n,
    ).toBe(2);
    // Without a member, nothing is written at all.
    await expect(
      ctx.prisma.$executeRawUnsafe(
        `INSERT INTO webhook_endpoints (member_id, url, secret_encrypted) VALUES ('${a.member.id}', 'https://x.example/', '\\x00')`,
      ),
    ).rejects.toThrow(refused);
    await ctx.db.$executeRaw`UPDATE alerts SET verdict = NULL WHERE id = ${a.alertId}::uuid`;
  });

  it('gives the API no DDL, no ownership tricks and no way around the policies', async () => {
    const api = ctx.prisma;
    await expect(api.$executeRawUnsafe('CREATE TABLE intruder (id int)')).rejects.toThrow(/permission denied/);
    await expect(api.$executeRawUnsafe('ALTER TABLE indicators DISABLE ROW LEVEL SECURITY')).rejects.toThrow(/must be owner/);
    await expect(api.$executeRawUnsafe('DROP POLICY indicators_of_member ON indicators')).rejects.toThrow(/must be owner/);
    await expect(api.$executeRawUnsafe('TRUNCATE alerts')).rejects.toThrow(/permission denied/);
    // Retraction goes through retract_own_indicators; the role itself deletes no indicators.
    await expect(api.$executeRawUnsafe('DELETE FROM indicators')).rejects.toThrow(/permission denied/);
    await expect(api.$executeRawUnsafe('SET ROLE sigfed_worker')).rejects.toThrow(/permission denied/);
    await expect(
      api.$executeRawUnsafe(`INSERT INTO alerts (match_id, member_id, other_holders) VALUES ('${a.matchId}', '${a.member.id}', 1)`),
    ).rejects.toThrow(/permission denied/);
    await expect(api.$queryRawUnsafe(`SELECT * FROM member_activity_counts(now() - interval '1 day')`)).resolves.toEqual([]);
  });

  it('lets the worker see every member’s rows but do only what its jobs do', async () => {
    const w = worker.get(PrismaService);
    const count = async (client: PrismaService, table: string) =>
      (await client.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
    for (const table of ['indicators', 'alerts', 'matches', 'webhook_endpoints', 'webhook_deliveries', 'webhook_delivery_attempts']) {
      expect(await count(w, table), table).toBe(await count(ctx.db, table));
      expect(await count(w, table), table).toBeGreaterThan(0);
    }
    await expect(w.$queryRawUnsafe('SELECT * FROM submissions')).rejects.toThrow(/permission denied/);
    await expect(w.$queryRawUnsafe('SELECT * FROM invitations')).rejects.toThrow(/permission denied/);
    await expect(w.$executeRawUnsafe(`UPDATE members SET name = 'x' WHERE id = '${a.member.id}'`)).rejects.toThrow(/permission denied/);
    await expect(w.$executeRawUnsafe(`DELETE FROM alerts WHERE id = '${a.alertId}'`)).rejects.toThrow(/permission denied/);
    await expect(w.$executeRawUnsafe(`UPDATE indicators SET confidence = 1`)).rejects.toThrow(/permission denied/);
    await expect(w.$queryRawUnsafe(`SELECT * FROM member_activity_counts(now())`)).rejects.toThrow(/permission denied/);
    await expect(w.$queryRawUnsafe(`SELECT * FROM retract_own_indicators('IP_RANGE', 'e', '{}')`)).rejects.toThrow(/permission denied/);
    await expect(w.$executeRawUnsafe('CREATE TABLE intruder (id int)')).rejects.toThrow(/permission denied/);
  });

  it('shows cross-member facts only through the narrow functions: disclosed names, verdict counts, admin activity', async () => {
    const alertOf = async (who: Fixture) =>
      (
        await ctx.gql<{ alert: { disclosedHolders: string[]; externalRef: string; verdictCounts: Record<string, number> } }>(
          'query($id: ID!) { alert(id: $id) { disclosedHolders externalRef verdictCounts { confirmedAbuse falsePositive underReview } } }',
          { id: who.alertId },
          await who.member.token(),
        )
      ).data!.alert;
    const ack = await ctx.gql(
      'mutation($id: ID!) { acknowledgeAlert(id: $id, verdict: CONFIRMED_ABUSE) { id } }',
      { id: b.alertId },
      await b.member.token(),
    );
    expect(ack.errors).toBeUndefined();
    // B disclosed and confirmed; A did neither.
    expect(await alertOf(a)).toEqual({
      disclosedHolders: ['Lab B'],
      externalRef: 'ref-of-Lab A',
      verdictCounts: { confirmedAbuse: 1, falsePositive: 0, underReview: 0 },
    });
    expect(await alertOf(b)).toMatchObject({ disclosedHolders: [], externalRef: 'ref-of-Lab B', verdictCounts: { confirmedAbuse: 0 } });

    // The function answers for the scoped member's own alerts only.
    const facts = await ctx.prisma.asMember(
      a.member.id,
      (tx) => tx.$queryRaw<{ alert_id: string }[]>`SELECT alert_id FROM alert_view_facts(ARRAY[${a.alertId}::uuid, ${b.alertId}::uuid])`,
    );
    expect(facts.map((f) => f.alert_id)).toEqual([a.alertId]);

    const activity = await ctx.gql<{ memberActivity: { memberId: string; submissions: number; alertsCreated: number }[] }>(
      '{ memberActivity(windowHours: 24) { memberId submissions alertsCreated } }',
      {},
      await admin.token(),
    );
    expect(activity.errors).toBeUndefined();
    const byId = new Map(activity.data!.memberActivity.map((m) => [m.memberId, m]));
    expect(byId.get(a.member.id)).toMatchObject({ submissions: 1, alertsCreated: 1 });
    expect(byId.get(b.member.id)).toMatchObject({ submissions: 1, alertsCreated: 2 });
    // The same function asked in a non-admin member's transaction answers nothing.
    expect(
      await ctx.prisma.asMember(a.member.id, (tx) => tx.$queryRaw`SELECT * FROM member_activity_counts(now() - interval '1 day')`),
    ).toEqual([]);
    // So do the console's operator views.
    expect(await ctx.prisma.asMember(a.member.id, (tx) => tx.$queryRaw`SELECT * FROM member_health_facts()`)).toEqual([]);
    expect(
      await ctx.prisma.asMember(a.member.id, (tx) => tx.$queryRaw`SELECT * FROM federation_report_facts(now() - interval '1 day', now())`),
    ).toEqual([]);
    expect(
      await ctx.prisma.asMember(
        a.member.id,
        (tx) => tx.$queryRaw`SELECT * FROM federation_report_disclosed(now() - interval '1 day', now())`,
      ),
    ).toEqual([]);
    const grants = await ctx.db.$queryRaw<{ fn: string; api: boolean; worker: boolean; anyone: boolean }[]>`
      SELECT p.proname AS fn, has_function_privilege('sigfed_api', p.oid, 'EXECUTE') AS api,
             has_function_privilege('sigfed_worker', p.oid, 'EXECUTE') AS worker,
             has_function_privilege('public', p.oid, 'EXECUTE') AS anyone
        FROM pg_proc p WHERE p.prosecdef AND p.pronamespace = 'public'::regnamespace ORDER BY 1`;
    expect(grants).toEqual([
      { fn: 'alert_view_facts', api: true, worker: true, anyone: false },
      { fn: 'alerts_count_verdicts', api: false, worker: false, anyone: false },
      { fn: 'alerts_set_type_code', api: false, worker: false, anyone: false },
      { fn: 'audit_append', api: true, worker: true, anyone: false },
      { fn: 'campaign_disclosed_names', api: true, worker: true, anyone: false },
      { fn: 'federation_report_disclosed', api: true, worker: false, anyone: false },
      { fn: 'federation_report_facts', api: true, worker: false, anyone: false },
      { fn: 'member_activity_counts', api: true, worker: false, anyone: false },
      { fn: 'member_health_facts', api: true, worker: false, anyone: false },
      { fn: 'members_count_verdicts', api: false, worker: false, anyone: false },
      { fn: 'over_cap_campaigns', api: true, worker: false, anyone: false },
      { fn: 'retract_own_indicators', api: true, worker: false, anyone: false },
      { fn: 'similar_alert_view_facts', api: true, worker: true, anyone: false },
    ]);
    const definers = await ctx.db.$queryRaw<{ fn: string; config: string[] }[]>`
      SELECT proname AS fn, proconfig AS config FROM pg_proc WHERE prosecdef AND pronamespace = 'public'::regnamespace ORDER BY 1`;
    expect(definers).toEqual([
      { fn: 'alert_view_facts', config: ['search_path=public, pg_temp'] },
      { fn: 'alerts_count_verdicts', config: ['search_path=public, pg_temp'] },
      { fn: 'alerts_set_type_code', config: ['search_path=public, pg_temp'] },
      { fn: 'audit_append', config: ['search_path=public, pg_temp'] },
      { fn: 'campaign_disclosed_names', config: ['search_path=public, pg_temp'] },
      { fn: 'federation_report_disclosed', config: ['search_path=public, pg_temp'] },
      { fn: 'federation_report_facts', config: ['search_path=public, pg_temp'] },
      { fn: 'member_activity_counts', config: ['search_path=public, pg_temp'] },
      { fn: 'member_health_facts', config: ['search_path=public, pg_temp'] },
      { fn: 'members_count_verdicts', config: ['search_path=public, pg_temp'] },
      { fn: 'over_cap_campaigns', config: ['search_path=public, pg_temp'] },
      { fn: 'retract_own_indicators', config: ['search_path=public, pg_temp'] },
      { fn: 'similar_alert_view_facts', config: ['search_path=public, pg_temp'] },
    ]);
  });

  it('keeps later migrations honest: every table is granted to the API, every member_id or member_no table is guarded or excused', async () => {
    const tables = await ctx.db.$queryRaw<{ table: string; api: boolean; rls: boolean; memberColumn: boolean }[]>`
      SELECT c.relname AS table, has_table_privilege('sigfed_api', c.oid, 'SELECT') AS api, c.relrowsecurity AS rls,
             EXISTS (SELECT 1 FROM pg_attribute a
                      WHERE a.attrelid = c.oid AND NOT a.attisdropped
                        AND (a.attname = 'member_id' OR (a.attname = 'member_no' AND c.relname <> 'members'))) AS "memberColumn"
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`;
    expect(
      tables.filter((t) => !t.api).map((t) => t.table),
      'tables the API role cannot read: grant in the migration that adds them',
    ).toEqual([]);
    const unguarded = tables.filter((t) => t.memberColumn && !t.rls && !(t.table in MEMBER_COLUMN_WITHOUT_RLS)).map((t) => t.table);
    expect(unguarded, 'member-owned tables without row-level security').toEqual([]);
  });
});
