import { ArgsType, Field, ID, InputType, registerEnumType } from '@nestjs/graphql';
import { IsEnum, IsOptional, IsString, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { AlertStatus, IndicatorType, Verdict } from '@app/database';
import { ConnectionArgs, MaxChars, PlainText } from '@app/common';
import '../graphql-enums.js';

@InputType({ description: 'Narrows the alerts list.' })
export class AlertFilter {
  @Field(() => AlertStatus, { nullable: true, description: 'Only alerts in this status.' })
  @IsOptional()
  @IsEnum(AlertStatus)
  status?: AlertStatus;

  @Field(() => IndicatorType, { nullable: true, description: 'Only alerts on tokens of this type.' })
  @IsOptional()
  @IsEnum(IndicatorType)
  type?: IndicatorType;

  @Field({ nullable: true, description: "Only alerts created or changed at or after the start of this time's hour, UTC (for polling)." })
  @IsOptional()
  since?: Date;
}

/** The alerts list's sort orders. */
export enum AlertOrder {
  NEWEST = 'NEWEST',
  PRIORITY = 'PRIORITY',
}

registerEnumType(AlertOrder, {
  name: 'AlertOrder',
  description: 'How the alerts list is sorted.',
  valuesMap: {
    NEWEST: { description: 'Newest first (creation time, then id): the default.' },
    PRIORITY: { description: 'Highest priority first, then id (docs/indicators-and-alerts.md#priority).' },
  },
});

@ArgsType()
export class AlertsArgs extends ConnectionArgs {
  @Field(() => AlertOrder, { nullable: true, description: 'Sort order; NEWEST when omitted.' })
  @IsOptional()
  @IsEnum(AlertOrder)
  orderBy?: AlertOrder | null;

  @Field(() => AlertFilter, { nullable: true, description: 'Optional filter.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => AlertFilter)
  filter?: AlertFilter | null;
}

@ArgsType()
export class AcknowledgeAlertArgs {
  @Field(() => ID, { description: 'The alert.' })
  @IsString()
  @MaxChars(64)
  id: string;

  @Field(() => Verdict, { description: 'Your conclusion.' })
  @IsEnum(Verdict)
  verdict: Verdict;

  @Field(() => String, { nullable: true, description: 'A note for your own records, at most 2000 characters; never shown to others.' })
  @IsOptional()
  @IsString()
  @MaxChars(2000)
  @PlainText()
  note?: string | null;
}
