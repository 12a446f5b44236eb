import { Field, InputType } from '@nestjs/graphql';
import { Equals, IsBoolean, IsOptional, IsString, MinLength, ValidateIf } from 'class-validator';
import { MaxChars, PlainText } from '@app/common';
import { UnsuppressTokenInput } from './suppression.input.js';

@InputType({ description: 'A quarantined token to release, and whether to put it on the suppression list instead.' })
export class ReleaseQuarantineInput extends UnsuppressTokenInput {
  @Field(() => Boolean, {
    nullable: true,
    description:
      "true: move the token to the suppression list (it keeps not alerting, now by the admins' decision). Default false: it matches again.",
  })
  @IsOptional()
  @IsBoolean()
  // Moving to the suppression list needs the reason it will carry there.
  @ValidateIf((input: ReleaseQuarantineInput) => input.suppress === true && input.reason == null)
  @Equals(false, { message: 'suppress: true needs a reason (it becomes the suppression reason)' })
  suppress?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description: 'Why, 1-1000 characters; kept in the audit log. Required with suppress (it becomes the suppression reason).',
  })
  @ValidateIf((input: ReleaseQuarantineInput) => input.reason != null)
  @IsString()
  @MinLength(1)
  @MaxChars(1000)
  @PlainText()
  reason?: string | null;
}
