import { Injectable, Logger } from '@nestjs/common';
import {
  AuditAction,
  AuditService,
  checkNewestCheckpoint,
  verifyAuditChain,
  writeCheckpoint,
  type AuditActor,
  type AuditCheckpoint,
} from '@app/audit';
import { PrismaService, type AuditCheckpoint as AuditCheckpointRow } from '@app/database';
import { AuditCheckpointError, AuditCheckpointErrorCode } from './audit-checkpoint.error.js';
import { SigningKeyService } from './signing-key.service.js';

/** How a checkpoint request ended. */
export type CheckpointOutcome =
  | { kind: 'written'; checkpoint: AuditCheckpoint }
  /** The head has not moved since the newest checkpoint, which still covers it. */
  | { kind: 'unchanged'; checkpoint: AuditCheckpoint }
  /** The log is empty: there is no head to sign. */
  | { kind: 'empty' };

/**
 * Signed checkpoints of the audit chain head, with the server's CURRENT
 * signing key: periodically by the worker, on demand by an admin
 * (createAuditCheckpoint) or the `audit-checkpoint` CLI. The whole chain and
 * the newest checkpoint are verified first, so a checkpoint never vouches
 * for a chain that was already broken.
 */
@Injectable()
export class AuditCheckpointService {
  private readonly logger = new Logger(AuditCheckpointService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly signingKeys: SigningKeyService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Verifies the chain and signs its head. With `requestedBy`, the request is
   * audited first, so the checkpoint covers its own entry; with
   * `skipUnchanged`, a head the newest checkpoint already covers is not signed
   * again. Throws AuditCheckpointError when the chain does not verify.
   */
  async create(
    options: { requestedBy?: { actor: AuditActor; requestId?: string }; skipUnchanged?: boolean } = {},
  ): Promise<CheckpointOutcome> {
    if (options.requestedBy) {
      const { actor, requestId } = options.requestedBy;
      await this.audit.record(this.prisma, { actor, action: AuditAction.CheckpointRequested, requestId });
    }
    const report = await checkNewestCheckpoint(this.prisma, await verifyAuditChain(this.prisma));
    if (!report.ok) {
      throw new AuditCheckpointError(
        AuditCheckpointErrorCode.ChainBroken,
        `audit chain broken at entry ${report.brokenId}: ${report.reason}; no checkpoint signed`,
        {
          brokenId: report.brokenId,
          reason: report.reason,
          count: report.count,
        },
      );
    }
    if (!report.head) return { kind: 'empty' };
    if (options.skipUnchanged) {
      const newest = await this.prisma.auditCheckpoint.findFirst({ orderBy: { id: 'desc' } });
      if (newest && newest.headId.toString() === report.head.id) return { kind: 'unchanged', checkpoint: view(newest) };
    }
    const row = await writeCheckpoint(this.prisma, await this.signingKeys.signer(), report.head, report.count);
    this.logger.log(`signed audit checkpoint ${row.id} at entry ${report.head.id} (${report.count} entries), key ${row.kid}`);
    return { kind: 'written', checkpoint: view(row) };
  }

  /** A checkpoint asked for by `actor` (audited; the checkpoint covers that entry). */
  async requested(actor: AuditActor, requestId?: string): Promise<AuditCheckpoint> {
    const outcome = await this.create({ requestedBy: { actor, requestId } });
    if (outcome.kind === 'empty') throw new Error('the audit log is empty right after recording the checkpoint request');
    return outcome.checkpoint;
  }
}

/** A stored checkpoint as the API shows it. */
export function view(row: AuditCheckpointRow): AuditCheckpoint {
  return {
    id: row.id.toString(),
    headId: row.headId.toString(),
    headHash: Buffer.from(row.headHash).toString('hex'),
    entryCount: Number(row.entryCount),
    signedAt: row.createdAt,
    kid: row.kid,
    jws: row.jws,
  };
}
