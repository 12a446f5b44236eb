import { Module } from '@nestjs/common';
import { AuditLogResolver } from './audit-log.resolver.js';
import { AuditService } from './audit.service.js';

/** The audit log: AuditService for writers, the `auditLog` query for admins. */
@Module({
  providers: [AuditService, AuditLogResolver],
  exports: [AuditService],
})
export class AuditModule {}
