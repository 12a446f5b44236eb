import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { CurrentMember, type AuthenticatedMember } from '@app/auth';
import { RequestId } from '@app/common';
import { AddMemberKeyInput } from './dto/add-member-key.input.js';
import { RevokeMemberKeyInput } from './dto/revoke-member-key.input.js';
import { MemberKeysService } from './member-keys.service.js';
import { MemberKey } from './models/member.model.js';

@Resolver(() => MemberKey)
export class MemberKeysResolver {
  constructor(private readonly keys: MemberKeysService) {}

  @Mutation(() => MemberKey, { description: 'Registers another public key for the calling member (key rotation).' })
  addMemberKey(
    @CurrentMember() member: AuthenticatedMember,
    @Args() input: AddMemberKeyInput,
    @RequestId() requestId?: string,
  ): Promise<MemberKey> {
    return this.keys.add(member, input, requestId);
  }

  @Mutation(() => MemberKey, {
    description:
      'Revokes a key (your own; admins: any member’s). Tokens obtained with it are refused at once. A member’s last active key cannot be revoked.',
  })
  revokeMemberKey(
    @CurrentMember() member: AuthenticatedMember,
    @Args() input: RevokeMemberKeyInput,
    @RequestId() requestId?: string,
  ): Promise<MemberKey> {
    return this.keys.revoke(member, input, requestId);
  }
}
