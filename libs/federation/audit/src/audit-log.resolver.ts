import { Args, Query, Resolver } from '@nestjs/graphql';
import { Roles } from '@app/common';
import { AuditService } from './audit.service.js';
import { AuditLogArgs } from './dto/audit-log.args.js';
import { AuditEntry, AuditEntryConnection } from './models/audit-entry.model.js';

/** The audit log, for admins. */
@Resolver(() => AuditEntry)
export class AuditLogResolver {
  constructor(private readonly audit: AuditService) {}

  @Roles('ADMIN')
  @Query(() => AuditEntryConnection, { description: 'The audit log, newest first (admins only).' })
  auditLog(@Args() args: AuditLogArgs): Promise<AuditEntryConnection> {
    return this.audit.list(args);
  }
}
