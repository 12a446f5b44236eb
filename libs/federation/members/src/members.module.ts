import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { OutboxModule } from '@app/outbox';
import { InvitationsResolver } from './invitations.resolver.js';
import { InvitationsService } from './invitations.service.js';
import { MemberKeysResolver } from './member-keys.resolver.js';
import { MemberKeysService } from './member-keys.service.js';
import { MembersResolver } from './members.resolver.js';
import { MembersService } from './members.service.js';

/** Members, their keys and invitations. */
@Module({
  imports: [AuditModule, OutboxModule],
  providers: [MembersService, MemberKeysService, InvitationsService, MembersResolver, MemberKeysResolver, InvitationsResolver],
  exports: [MembersService, MemberKeysService, InvitationsService],
})
export class MembersModule {}
