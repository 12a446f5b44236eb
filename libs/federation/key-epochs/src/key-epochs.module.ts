import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { OutboxModule } from '@app/outbox';
import { RateLimitModule } from '@app/rate-limit';
import { SecretsModule } from '@app/secrets';
import { EvaluationBudgets } from './evaluation-budgets.js';
import { KeyEpochAdminService } from './key-epoch-admin.service.js';
import { KeyEpochsService } from './key-epochs.service.js';
import { OprfEvaluationPool } from './oprf-evaluation.pool.js';
import { OprfResolver } from './oprf.resolver.js';

/** Two-key tokens, API role: oprfKeys and evaluateBlinded on the worker-thread pool. */
@Module({
  imports: [SecretsModule, AuditModule, RateLimitModule],
  providers: [KeyEpochsService, OprfResolver, OprfEvaluationPool, EvaluationBudgets],
  exports: [KeyEpochsService],
})
export class KeyEpochsModule {}

/** Operators' key-epoch commands (CLI): create, list, retire. */
@Module({
  imports: [SecretsModule, AuditModule, OutboxModule],
  providers: [KeyEpochAdminService],
  exports: [KeyEpochAdminService],
})
export class KeyEpochAdminModule {}
