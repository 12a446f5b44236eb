import type { Command } from 'commander';
import { verifyAuditChain, type AuditChainReport } from '@app/audit';
import { loadConfig, type AppConfig } from '@app/config';
import { PrismaService } from '@app/database';
import { withCliContext } from '../cli-context.js';

/** Recomputes the audit log's hash chain; the report names the first broken entry. */
export function auditVerify(config: AppConfig): Promise<AuditChainReport> {
  return withCliContext(config, (app) => verifyAuditChain(app.get(PrismaService)));
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
