import { ArgsType, Field, Int } from '@nestjs/graphql';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { MaxChars } from '../validation/max-chars.js';

/** Page sizes every connection shares. */
export const PAGE_SIZE = { default: 20, max: 100 } as const;

/**
 * `first`/`after` of a forward-only Relay connection. Extend it with an
 * @ArgsType subclass to add filters.
 */
@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, {
    nullable: true,
    defaultValue: PAGE_SIZE.default,
    description: `How many items to return: 1 to ${PAGE_SIZE.max}, default ${PAGE_SIZE.default}.`,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(PAGE_SIZE.max)
  first?: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'Return the items after this cursor (a previous page’s `pageInfo.endCursor`).',
  })
  @IsOptional()
  @IsString()
  @MaxChars(512)
  after?: string | null;
}
