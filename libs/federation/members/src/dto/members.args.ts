import { ArgsType } from '@nestjs/graphql';
import { ConnectionArgs } from '@app/common';

/** Arguments of `members`: paging only, for now. */
@ArgsType()
export class MembersArgs extends ConnectionArgs {}
