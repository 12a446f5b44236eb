import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditAction, AuditService, SYSTEM_ACTOR, verifyAuditChain } from '@app/audit';
import { connectPg } from '@app/database';
import { auditVerify } from '../../apps/cli/src/commands/audit-verify.command.js';
import { TestContext } from '../support/context.js';
import { childEnv, distEntry, runNode } from '../support/processes.js';

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

describe('signed checkpoints of the audit chain head', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.start();
    const audit = ctx.app.get(AuditService);
    for (let i = 0; i < 3; i++) await audit.record(ctx.prisma, { actor: SYSTEM_ACTOR, action: AuditAction.MemberReinstated, target: { type: 'member', id: `m${i}` } });
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
