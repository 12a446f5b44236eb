import { Field, ObjectType } from '@nestjs/graphql';

/** Relay PageInfo: where this page sits in the list. */
@ObjectType({ description: 'Where a page of a connection sits in the whole list (Relay PageInfo).' })
export class PageInfo {
  @Field({ description: 'True when more items follow the last edge; fetch them with `after: endCursor`.' })
  hasNextPage: boolean;

  @Field({ description: 'True when items precede the first edge (always false: lists page forwards only).' })
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first edge, or null for an empty page.' })
  startCursor: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge, or null for an empty page.' })
  endCursor: string | null;
}
