import { ArgsType, Field, ID, Int } from '@nestjs/graphql';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';

/** A member's own submission budget. Top-level arguments, as the API names them. */
@ArgsType()
export class SetSubmissionQuotaArgs {
  @Field(() => ID, { description: 'The member id.' })
  @IsUUID()
  memberId: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Indicators per hour, 0 to 1,000,000,000 (0 stops its submissions); null restores the server default.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  indicatorsPerHour?: number | null;
}
