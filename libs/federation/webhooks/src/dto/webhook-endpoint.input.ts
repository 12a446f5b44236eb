import { Field, InputType } from '@nestjs/graphql';
import { ArrayMaxSize, ArrayNotEmpty, ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, IsString, MinLength } from 'class-validator';
import { MaxChars, PlainText } from '@app/common';
import { WEBHOOK_EVENT_TYPES } from '../webhook-events.js';

const EVENT_TYPES_HELP = `Event types to receive: ${WEBHOOK_EVENT_TYPES.join(', ')}.`;

@InputType({ description: 'A new webhook endpoint.' })
export class CreateWebhookEndpointInput {
  @Field({ description: 'https URL to POST events to (at most 2048 characters); must reach a public address.' })
  @IsString()
  @MinLength(1)
  @MaxChars(2048)
  url: string;

  @Field(() => String, { nullable: true, description: 'Your own label, at most 500 characters.' })
  @IsOptional()
  @IsString()
  @MaxChars(500)
  @PlainText()
  description?: string | null;

  @Field(() => [String], { description: EVENT_TYPES_HELP })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  eventTypes: string[];

  @Field(() => Boolean, {
    nullable: true,
    description: 'Also sign with the server Ed25519 key (`v1a`), verifiable with webhookSigningKeys; default false.',
  })
  @IsOptional()
  @IsBoolean()
  asymmetricSignature?: boolean | null;
}

@InputType({ description: 'Changes to a webhook endpoint; omitted fields stay as they are.' })
export class UpdateWebhookEndpointInput {
  @Field(() => String, { nullable: true, description: 'New https URL.' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxChars(2048)
  url?: string | null;

  @Field(() => String, { nullable: true, description: 'New label; an empty string clears it.' })
  @IsOptional()
  @IsString()
  @MaxChars(500)
  @PlainText()
  description?: string | null;

  @Field(() => [String], { nullable: true, description: EVENT_TYPES_HELP })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  eventTypes?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: 'false disables the endpoint; true enables it again and clears its failure state.' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Add or drop the `v1a` (Ed25519) signature.' })
  @IsOptional()
  @IsBoolean()
  asymmetricSignature?: boolean | null;
}
