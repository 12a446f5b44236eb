import { Mutation, Resolver } from '@nestjs/graphql';
import { AuditCheckpoint, memberActor } from '@app/audit';
import { RequestId, Roles } from '@app/common';
import { AuditCheckpointService } from './audit-checkpoint.service.js';
import { CurrentMember, type AuthenticatedMember } from './authenticated-member.js';

@Resolver(() => AuditCheckpoint)
export class AuditCheckpointResolver {
  constructor(private readonly checkpoints: AuditCheckpointService) {}

  @Roles('ADMIN')
  @Mutation(() => AuditCheckpoint, {
    description:
      'Signs a checkpoint of the audit chain head now, with the server signing key, after verifying the chain; the request is audited ' +
      '(`audit.checkpoint_requested`) and the checkpoint covers that entry (admins only).',
  })
  createAuditCheckpoint(@CurrentMember() caller: AuthenticatedMember, @RequestId() requestId?: string): Promise<AuditCheckpoint> {
    return this.checkpoints.requested(memberActor(caller), requestId);
  }
}
