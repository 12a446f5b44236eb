import type { Command } from 'commander';
import { checkNewestCheckpoint, verifyAuditChain, type AuditChainReport } from '@app/audit';
import { AuditCheckpointError, AuditCheckpointModule, AuditCheckpointService } from '@app/auth';
import { loadConfig, type AppConfig } from '@app/config';
import { PrismaService } from '@app/database';
import { withCliContext } from '../cli-context.js';

/** Recomputes the audit log's hash chain; the report names the first broken entry. */
export function auditVerify(config: AppConfig): Promise<AuditChainReport> {
  return withCliContext(config, async (app) => {
    const prisma = app.get(PrismaService);
    return checkNewestCheckpoint(prisma, await verifyAuditChain(prisma));
  });
}

/**
 * Records a checkpoint of the current, verified chain head, signed (JWS)
 * with the server's CURRENT signing key. Refuses when the chain is broken.
 */
export function auditCheckpoint(config: AppConfig): Promise<AuditChainReport> {
  return withCliContext(
    config,
    async (app) => {
      try {
        const outcome = await app.get(AuditCheckpointService).create();
        if (outcome.kind === 'empty') return { ok: true, count: 0, head: null };
        const { headId, headHash, entryCount } = outcome.checkpoint;
        return { ok: true, count: entryCount, head: { id: headId, hash: headHash } };
      } catch (error) {
        if (!(error instanceof AuditCheckpointError)) throw error;
        const { brokenId, reason, count } = error.details as { brokenId: string; reason: string; count: number };
        return { ok: false, count, brokenId, reason };
      }
    },
    [AuditCheckpointModule],
  );
}

/** The one line `audit-verify` prints for a report. */
export function describeReport(report: AuditChainReport): string {
  if (!report.ok) return `audit chain BROKEN at entry ${report.brokenId}: ${report.reason} (${report.count} entries before it verified)`;
  const head = report.head ? `; head entry ${report.head.id}, hash ${report.head.hash}` : '';
  return `audit chain intact: ${report.count} entries${head}`;
}

/** `audit-verify`: exit 0 when the chain is intact, 1 naming the first broken entry. */
export function registerAuditVerify(program: Command): void {
  program
    .command('audit-verify')
    .description('check the audit log hash chain; exit 1 naming the first broken entry')
    .action(async () => {
      const report = await auditVerify(loadConfig());
      (report.ok ? console.log : console.error)(describeReport(report));
      process.exitCode = report.ok ? 0 : 1;
    });
}

/** `audit-checkpoint`: signs and stores the verified chain head; exit 1 when the chain is broken. */
export function registerAuditCheckpoint(program: Command): void {
  program
    .command('audit-checkpoint')
    .description('sign and store a checkpoint of the audit chain head (audit-verify checks the newest)')
    .action(async () => {
      const report = await auditCheckpoint(loadConfig());
      (report.ok ? console.log : console.error)(describeReport(report));
      process.exitCode = report.ok ? 0 : 1;
    });
}
