import { ArgsType, Field } from '@nestjs/graphql';
import { IsOptional, Matches } from 'class-validator';
import { ConnectionArgs } from '@app/common';

@ArgsType()
export class AuditLogArgs extends ConnectionArgs {
  @Field(() => String, { nullable: true, description: 'Only entries of this action, e.g. `member.suspended`.' })
  @IsOptional()
  @Matches(/^[a-z_.]{1,64}$/, { message: 'action must be an action name such as member.suspended' })
  action?: string | null;
}
