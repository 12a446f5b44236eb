import { ArgsType, Field, ID, InputType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { IsEnum, IsOptional, IsString, ValidateNested } from 'class-validator';
import { ConnectionArgs, MaxChars } from '@app/common';
import { DeliveryStatus } from '@app/database';
import '../graphql-enums.js';

@InputType({ description: 'Narrows the deliveries list.' })
export class WebhookDeliveryFilter {
  @Field(() => DeliveryStatus, { nullable: true, description: 'Only deliveries in this status.' })
  @IsOptional()
  @IsEnum(DeliveryStatus)
  status?: DeliveryStatus | null;
}

@ArgsType()
export class WebhookDeliveriesArgs extends ConnectionArgs {
  @Field(() => ID, { description: 'The endpoint whose deliveries to list.' })
  @IsString()
  @MaxChars(64)
  endpointId: string;

  @Field(() => WebhookDeliveryFilter, { nullable: true, description: 'Optional filter.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => WebhookDeliveryFilter)
  filter?: WebhookDeliveryFilter | null;
}
