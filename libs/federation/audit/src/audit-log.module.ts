import { Module } from '@nestjs/common';
import { AuditLogResolver } from './audit-log.resolver.js';
import { AuditModule } from './audit.module.js';

/** The admins' `auditLog` query (API role). */
@Module({
  imports: [AuditModule],
  providers: [AuditLogResolver],
})
export class AuditLogModule {}
