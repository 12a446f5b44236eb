import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsEnum, IsOptional, IsString, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { ConnectionArgs, MaxChars } from '@app/common';
import { CampaignStatus } from '@app/database';
import '../graphql-enums.js';

@InputType({ description: 'Narrows the campaigns list.' })
export class CampaignFilter {
  @Field(() => CampaignStatus, { nullable: true, description: 'Only campaigns in this status.' })
  @IsOptional()
  @IsEnum(CampaignStatus)
  status?: CampaignStatus;
}

@ArgsType()
export class CampaignsArgs extends ConnectionArgs {
  @Field(() => CampaignFilter, { nullable: true, description: 'Optional filter.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => CampaignFilter)
  filter?: CampaignFilter | null;
}

@ArgsType()
export class CampaignArgs {
  @Field(() => ID, { description: 'The campaign.' })
  @IsString()
  @MaxChars(64)
  id: string;
}

@ArgsType()
export class RetractBundlesArgs {
  @Field(() => [String], { description: 'Your bundleRefs to remove; 1 to BUNDLE_MAX_PER_REQUEST. Refs you do not hold are ignored.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  @MaxChars(256, { each: true })
  bundleRefs: string[];
}

@ArgsType()
export class OverCapCampaignsArgs {
  @Field(() => Int, { nullable: true, description: 'How many, newest flag first; default 50, at most 500.' })
  @IsOptional()
  first?: number | null;
}
