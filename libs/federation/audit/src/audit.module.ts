import { Module } from '@nestjs/common';
import { AuditService } from './audit.service.js';

/** The audit log's writer, AuditService (any role). */
@Module({
  providers: [AuditService],
  exports: [AuditService],
})
export class AuditModule {}
