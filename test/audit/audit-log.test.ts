import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditAction, AuditService, SYSTEM_ACTOR, verifyAuditChain } from '@app/audit';
import { connectPg } from '@app/database';
import { auditVerify, describeReport } from '../../apps/cli/src/commands/audit-verify.command.js';
import { TestContext, type TestMember } from '../support/context.js';
import { childEnv, distEntry, runNode } from '../support/processes.js';

const CLI = distEntry('apps/cli/src/main.js');
const LOG = `query($first: Int, $after: String, $action: String) {
  auditLog(first: $first, after: $after, action: $action) {
    edges { cursor node { id occurredAt actorMemberId actorLabel action targetType targetId requestId details hash prevHash } }
    pageInfo { hasNextPage endCursor }
  }
}`;
type LogPage = {
  auditLog: {
    edges: { cursor: string; node: { id: string; action: string; hash: string; prevHash: string; details: Record<string, unknown> } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
};

/** Runs SQL as the superuser with triggers off: what an attacker with database access could do. */
async function asSuperuserBypassingTriggers(sql: string, params: unknown[]): Promise<void> {
  const client = await connectPg(process.env.DATABASE_URL!);
  try {
    await client.query('SET session_replication_role = replica');
    await client.query(sql, params);
  } finally {
    await client.end();
  }
}

describe('the audit log', () => {
  let ctx: TestContext;
  let admin: TestMember;
  let adminToken: string;

  beforeAll(async () => {
    ctx = await TestContext.start();
    admin = await ctx.newAdmin();
    adminToken = await admin.token();
    // Some history: an invitation accepted, a key added, a suspension and reinstatement.
    const created = await ctx.gql<{ createInvitation: { invitationToken: string; invitation: { memberId: string } } }>(
      'mutation { createInvitation(input: { organizationName: "Audited Lab", contactEmail: "a@lab.example" }) { invitationToken invitation { memberId } } }',
      {},
      adminToken,
    );
    const { invitationToken, invitation } = created.data!.createInvitation;
    const { newKeyPair } = await import('../support/oauth.js');
    await ctx.gql('mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { id } }', {
      i: { invitationToken, publicJwk: (await newKeyPair()).publicJwk },
    });
    await ctx.gql('mutation($id: ID!) { suspendMember(id: $id, reason: "audit") { id } }', { id: invitation.memberId }, adminToken);
    await ctx.gql('mutation($id: ID!) { reinstateMember(id: $id) { id } }', { id: invitation.memberId }, adminToken);
  });
  afterAll(async () => ctx?.close());

  it('chains every entry to the one before, from 32 zero bytes', async () => {
    const rows = await ctx.prisma.auditEvent.findMany({ orderBy: { id: 'asc' } });
    expect(rows.map((r) => r.action)).toEqual([
      'signing_key.created',
      'invitation.created',
      'invitation.accepted',
      'member.suspended',
      'member.reinstated',
    ]);
    expect(Buffer.from(rows[0].prevHash).equals(Buffer.alloc(32))).toBe(true);
    for (let i = 1; i < rows.length; i++) expect(Buffer.from(rows[i].prevHash)).toEqual(Buffer.from(rows[i - 1].hash));
    expect(await verifyAuditChain(ctx.prisma)).toMatchObject({ ok: true, count: rows.length });
  });

  it('never forks under concurrent appends', async () => {
    const audit = ctx.app.get(AuditService);
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        audit.record(ctx.prisma, { actor: SYSTEM_ACTOR, action: AuditAction.TokenFailureBurst, target: { type: 'client', id: `c${i}` } }),
      ),
    );
    const rows = await ctx.prisma.auditEvent.findMany({ orderBy: { id: 'asc' } });
    const prevHashes = new Set(rows.map((r) => Buffer.from(r.prevHash).toString('hex')));
    expect(prevHashes.size).toBe(rows.length);
    expect(await verifyAuditChain(ctx.prisma)).toMatchObject({ ok: true, count: rows.length });
  });

  it('an entry recorded in a transaction that rolls back leaves no trace and no gap in the chain', async () => {
    const audit = ctx.app.get(AuditService);
    const before = await ctx.prisma.auditEvent.count();
    await expect(
      ctx.prisma.$transaction(async (tx) => {
        await audit.record(tx, { actor: SYSTEM_ACTOR, action: AuditAction.MemberSuspended });
        throw new Error('the audited change failed');
      }),
    ).rejects.toThrow('the audited change failed');
    expect(await ctx.prisma.auditEvent.count()).toBe(before);
    await audit.record(ctx.prisma, { actor: SYSTEM_ACTOR, action: AuditAction.MemberReinstated });
    expect((await verifyAuditChain(ctx.prisma)).ok).toBe(true);
  });

  it('cannot be changed or emptied by the application', async () => {
    const first = await ctx.prisma.auditEvent.findFirstOrThrow({ orderBy: { id: 'asc' } });
    // The API's role may only read and append; the tables' owner is stopped by the trigger.
    for (const [client, refusal] of [
      [ctx.prisma, /permission denied/],
      [ctx.db, /append-only/],
    ] as const) {
      await expect(client.auditEvent.update({ where: { id: first.id }, data: { action: 'x' } })).rejects.toThrow(refusal);
      await expect(client.auditEvent.deleteMany({})).rejects.toThrow(refusal);
      await expect(client.$executeRawUnsafe('TRUNCATE audit_events')).rejects.toThrow(refusal);
    }
    expect((await ctx.prisma.auditEvent.findUniqueOrThrow({ where: { id: first.id } })).action).toBe(first.action);
  });

  it('is readable by admins through auditLog, newest first, by pages and by action', async () => {
    const total = await ctx.prisma.auditEvent.count();
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res: Awaited<ReturnType<typeof ctx.gql<LogPage>>> = await ctx.gql<LogPage>(LOG, { first: 7, after }, adminToken);
      expect(res.errors).toBeUndefined();
      ids.push(...res.data!.auditLog.edges.map((e) => e.node.id));
      if (!res.data!.auditLog.pageInfo.hasNextPage) break;
      after = res.data!.auditLog.pageInfo.endCursor;
    }
    expect(ids).toHaveLength(total);
    expect(ids).toEqual([...ids].sort((a, b) => Number(b) - Number(a)));

    const suspended = await ctx.gql<LogPage>(LOG, { action: 'member.suspended' }, adminToken);
    const [entry] = suspended.data!.auditLog.edges.map((e) => e.node);
    expect(suspended.data!.auditLog.edges).toHaveLength(1);
    expect(entry).toMatchObject({
      action: 'member.suspended',
      actorMemberId: admin.id,
      actorLabel: admin.clientId,
      targetType: 'member',
      details: { reason: 'audit' },
    });
    expect(entry.hash).toMatch(/^[0-9a-f]{64}$/);

    const bad = await ctx.gql(LOG, { after: 'bm9wZQ' }, adminToken);
    expect(bad.errors?.[0].extensions?.problems).toEqual([expect.objectContaining({ field: 'after' })]);
  });

  it('audit-verify reports an intact chain (function and compiled CLI)', async () => {
    const report = await auditVerify(ctx.config);
    const count = await ctx.prisma.auditEvent.count();
    expect(report).toMatchObject({ ok: true, count });
    expect(describeReport(report)).toMatch(new RegExp(`^audit chain intact: ${count} entries; head entry \\d+, hash [0-9a-f]{64}$`));
    const cli = await runNode(CLI, ['audit-verify'], childEnv());
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(`audit chain intact: ${count} entries`);
  });

  it('refuses a forged entry inserted directly as sigfed_api or sigfed_worker: only audit_append() appends', async () => {
    const before = await ctx.prisma.auditEvent.count();
    const head = await ctx.prisma.auditEvent.findFirstOrThrow({ orderBy: { id: 'desc' } });
    // The forgery: a member.reinstated row linked to the real head.
    const forge = `INSERT INTO audit_events (id, occurred_at, actor_label, action, prev_hash, hash)
      VALUES (nextval('audit_events_id_seq'), now(), 'cli', 'member.reinstated', $1, $2)`;
    await expect(ctx.prisma.$executeRawUnsafe(forge, Buffer.from(head.hash), Buffer.alloc(32, 7))).rejects.toThrow(/permission denied/);
    const worker = await connectPg(process.env.DATABASE_URL!);
    try {
      await worker.query('SET ROLE sigfed_worker');
      await expect(worker.query(forge, [Buffer.from(head.hash), Buffer.alloc(32, 8)])).rejects.toThrow(/permission denied/);
    } finally {
      await worker.end();
    }
    expect(await ctx.prisma.auditEvent.count()).toBe(before);
    // The function is the way in, and it picks the id, the time and the hash itself.
    const [{ id }] = await ctx.prisma.$queryRaw<{ id: bigint }[]>`
      SELECT audit_append(NULL, 'cli', 'member.reinstated', NULL, NULL, NULL, '{}'::jsonb) AS id`;
    const row = await ctx.prisma.auditEvent.findUniqueOrThrow({ where: { id } });
    expect(row.hashVersion).toBe(2);
    expect(Buffer.from(row.prevHash)).toEqual(Buffer.from(head.hash));
    expect((await verifyAuditChain(ctx.prisma)).ok).toBe(true);
  });

  it('detects occurred_at moved by one microsecond', async () => {
    const head = await ctx.prisma.auditEvent.findFirstOrThrow({ orderBy: { id: 'desc' } });
    await asSuperuserBypassingTriggers(`UPDATE audit_events SET occurred_at = occurred_at + interval '1 microsecond' WHERE id = $1`, [
      head.id,
    ]);
    const report = await verifyAuditChain(ctx.prisma);
    expect(report).toMatchObject({ ok: false, brokenId: head.id.toString() });
    expect(!report.ok && report.reason).toMatch(/altered/);
    await asSuperuserBypassingTriggers(`UPDATE audit_events SET occurred_at = occurred_at - interval '1 microsecond' WHERE id = $1`, [
      head.id,
    ]);
    expect((await verifyAuditChain(ctx.prisma)).ok).toBe(true);
  });

  it('names an entry edited behind the application’s back, then the entry after a removed one', async () => {
    const rows = await ctx.prisma.auditEvent.findMany({ orderBy: { id: 'asc' } });
    const victim = rows[3];
    expect(victim.action).toBe('member.suspended');
    await asSuperuserBypassingTriggers(`UPDATE audit_events SET details = '{"reason":"routine check"}' WHERE id = $1`, [victim.id]);

    const report = await auditVerify(ctx.config);
    expect(report).toMatchObject({ ok: false, brokenId: victim.id.toString(), count: 3 });
    expect(!report.ok && report.reason).toMatch(/altered/);
    const cli = await runNode(CLI, ['audit-verify'], childEnv());
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`audit chain BROKEN at entry ${victim.id}`);

    // Put it back: the chain verifies again, then remove an entry instead.
    await asSuperuserBypassingTriggers(`UPDATE audit_events SET details = $2 WHERE id = $1`, [victim.id, JSON.stringify(victim.details)]);
    expect((await verifyAuditChain(ctx.prisma)).ok).toBe(true);
    await asSuperuserBypassingTriggers(`DELETE FROM audit_events WHERE id = $1`, [rows[1].id]);
    const afterRemoval = await verifyAuditChain(ctx.prisma);
    expect(afterRemoval).toMatchObject({ ok: false, brokenId: rows[2].id.toString() });
    expect(!afterRemoval.ok && afterRemoval.reason).toMatch(/removed, inserted or altered/);
  });
});
