import { ArgsType, Field } from '@nestjs/graphql';
import { IsDate } from 'class-validator';

@ArgsType()
export class FederationReportArgs {
  @Field(() => Date, { description: 'Start of the period (inclusive).' })
  @IsDate()
  from: Date;

  @Field(() => Date, { description: 'End of the period (exclusive); at most 366 days after `from`.' })
  @IsDate()
  to: Date;
}
