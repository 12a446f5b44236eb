import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { AuditCheckpointService } from './audit-checkpoint.service.js';
import { SigningKeysModule } from './signing-keys.module.js';

/** Signing audit checkpoints (API, worker and CLI alike). */
@Module({
  imports: [SigningKeysModule, AuditModule],
  providers: [AuditCheckpointService],
  exports: [AuditCheckpointService],
})
export class AuditCheckpointModule {}
