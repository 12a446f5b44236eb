import { Field, InputType, Int } from '@nestjs/graphql';
import { IsEmail, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { MaxChars, PlainText } from '@app/common';

@InputType({ description: 'Who to invite and for how long the invitation holds.' })
export class CreateInvitationInput {
  @Field({ description: 'Display name of the organization (1-200 characters).' })
  @Matches(/^\S/, { message: 'organizationName must not be empty or start with a space' })
  @MaxChars(200)
  @PlainText()
  organizationName: string;

  @Field({ description: 'Contact e-mail address of the organization.' })
  @IsEmail()
  @MaxChars(320)
  contactEmail: string;

  @Field(() => Int, { nullable: true, defaultValue: 72, description: 'Hours until the token expires: 1 to 720, default 72.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(720)
  expiresInHours?: number | null;
}
