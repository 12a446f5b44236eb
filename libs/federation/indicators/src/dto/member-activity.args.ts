import { ArgsType, Field, Int } from '@nestjs/graphql';
import { IsInt, Max, Min } from 'class-validator';

@ArgsType()
export class MemberActivityArgs {
  @Field(() => Int, { defaultValue: 1, description: 'The window: the last 1 to 720 hours (default 1).' })
  @IsInt()
  @Min(1)
  @Max(720)
  windowHours: number = 1;
}
