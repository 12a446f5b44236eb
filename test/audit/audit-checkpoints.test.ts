import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditAction, AuditService, SYSTEM_ACTOR, verifyAuditChain } from '@app/audit';
import { connectPg } from '@app/database';
import { auditVerify } from '../../apps/cli/src/commands/audit-verify.command.js';
import { TestContext } from '../support/context.js';
import { childEnv, distEntry, runNode } from '../support/processes.js';
import { startWorker } from '../support/webhooks.js';

const CLI = distEntry('apps/cli/src/main.js');

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

const CREATE = 'mutation { createAuditCheckpoint { id headId headHash entryCount signedAt kid jws } }';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// Runs before the describe below, which deletes entries and so leaves the chain failing its checkpoint.
describe('audit checkpoints signed periodically by the worker and on demand by admins', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.start();
    await ctx.app
      .get(AuditService)
      .record(ctx.prisma, { actor: SYSTEM_ACTOR, action: AuditAction.MemberReinstated, target: { type: 'member', id: 'p0' } });
  });
  afterAll(async () => ctx?.close());

  it('the worker signs the head every AUDIT_CHECKPOINT_INTERVAL_SECONDS, skips an unmoved head, and audit-verify accepts it', async () => {
    const worker = await startWorker({ AUDIT_CHECKPOINT_INTERVAL_SECONDS: '1' });
    try {
      const headNow = async () => (await ctx.db.auditEvent.findFirstOrThrow({ orderBy: { id: 'desc' } })).id;
      const coveringHead = async () => {
        const head = await headNow();
        return (await ctx.db.auditCheckpoint.findFirst({ where: { headId: head }, orderBy: { id: 'desc' } })) ?? undefined;
      };
      const first = await waitFor('a checkpoint of the head from the worker', coveringHead);
      const signingKey = await ctx.db.signingKey.findFirstOrThrow({ where: { status: 'CURRENT' } });
      expect(first.kid).toBe(signingKey.kid);
      expect(await auditVerify(ctx.config)).toMatchObject({ ok: true, count: Number(first.entryCount) });

      // Three more intervals with the head unmoved: nothing new is signed.
      await sleep(3_000);
      expect(await ctx.db.auditCheckpoint.count({ where: { id: { gt: first.id } } })).toBe(0);

      await ctx.app
        .get(AuditService)
        .record(ctx.prisma, { actor: SYSTEM_ACTOR, action: AuditAction.MemberSuspended, target: { type: 'member', id: 'p1' } });
      const second = await waitFor('a checkpoint of the moved head', coveringHead);
      expect(second.id).toBeGreaterThan(first.id);
      expect(Number(second.entryCount)).toBe(Number(first.entryCount) + 1);
      expect(await auditVerify(ctx.config)).toMatchObject({ ok: true });
    } finally {
      await worker.close();
    }
  }, 40_000);

  it('createAuditCheckpoint signs the head for an admin, audits the request, and is FORBIDDEN to members', async () => {
    const member = await ctx.newMember();
    const refused = await ctx.gql(CREATE, {}, await member.token());
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(refused.data?.createAuditCheckpoint ?? null).toBeNull();
    const before = await ctx.db.auditCheckpoint.count();

    const admin = await ctx.newAdmin();
    const res = await ctx.gql<{ createAuditCheckpoint: Record<string, unknown> }>(CREATE, {}, await admin.token());
    expect(res.errors).toBeUndefined();
    const checkpoint = res.data!.createAuditCheckpoint;
    expect(await ctx.db.auditCheckpoint.count()).toBe(before + 1);
    // The request is itself audited, and the checkpoint covers that entry.
    const head = await ctx.db.auditEvent.findFirstOrThrow({ orderBy: { id: 'desc' } });
    expect(head).toMatchObject({ action: 'audit.checkpoint_requested', actorMemberId: admin.id });
    const signingKey = await ctx.db.signingKey.findFirstOrThrow({ where: { status: 'CURRENT' } });
    expect(checkpoint).toMatchObject({
      headId: head.id.toString(),
      headHash: Buffer.from(head.hash).toString('hex'),
      entryCount: await ctx.db.auditEvent.count(),
      kid: signingKey.kid,
    });
    expect(new Date(checkpoint.signedAt as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const stored = await ctx.db.auditCheckpoint.findFirstOrThrow({ orderBy: { id: 'desc' } });
    expect(checkpoint).toMatchObject({ id: stored.id.toString(), jws: stored.jws });
    expect(await auditVerify(ctx.config)).toMatchObject({ ok: true, head: { id: head.id.toString() } });
  });
});

describe('signed checkpoints of the audit chain head', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.start();
    const audit = ctx.app.get(AuditService);
    for (let i = 0; i < 3; i++)
      await audit.record(ctx.prisma, {
        actor: SYSTEM_ACTOR,
        action: AuditAction.MemberReinstated,
        target: { type: 'member', id: `m${i}` },
      });
  });
  afterAll(async () => ctx?.close());

  it('detects the newest entries deleted after a checkpoint (function and compiled CLI)', async () => {
    const { auditCheckpoint } = await import('../../apps/cli/src/commands/audit-verify.command.js');
    const cp = await runNode(CLI, ['audit-checkpoint'], childEnv());
    expect(cp.code, cp.stderr).toBe(0);
    const stored = await ctx.prisma.auditCheckpoint.findFirstOrThrow({ orderBy: { id: 'desc' } });
    const head = await ctx.prisma.auditEvent.findFirstOrThrow({ orderBy: { id: 'desc' } });
    expect(stored.headId).toBe(head.id);
    expect(stored.jws.split('.')).toHaveLength(3);
    expect(await auditVerify(ctx.config)).toMatchObject({ ok: true });
    // Entries after the checkpoint are fine; a second checkpoint covers them.
    await ctx.app.get(AuditService).record(ctx.prisma, { actor: SYSTEM_ACTOR, action: AuditAction.MemberSuspended });
    expect(await auditCheckpoint(ctx.config)).toMatchObject({ ok: true });
    expect(await auditVerify(ctx.config)).toMatchObject({ ok: true });

    // A superuser drops the newest two entries: the chain alone still verifies, the checkpoint does not.
    const newest = await ctx.prisma.auditEvent.findMany({ orderBy: { id: 'desc' }, take: 2 });
    await asSuperuserBypassingTriggers(`DELETE FROM audit_events WHERE id = ANY($1::bigint[])`, [newest.map((r) => r.id.toString())]);
    expect((await verifyAuditChain(ctx.prisma)).ok).toBe(true);
    const report = await auditVerify(ctx.config);
    expect(report).toMatchObject({ ok: false });
    expect(!report.ok && report.reason).toMatch(/newest entries were removed/);
    const cli = await runNode(CLI, ['audit-verify'], childEnv());
    expect(cli.code).toBe(1);
  });
});
