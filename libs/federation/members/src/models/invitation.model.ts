import { Field, ID, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'An invitation for an organization to join the federation.' })
export class Invitation {
  @Field(() => ID, { description: 'The invitation id.' })
  id: string;

  @Field({ description: 'The invited organization.' })
  organizationName: string;

  @Field({ description: 'Where the invitation token is to be sent.' })
  contactEmail: string;

  @Field(() => ID, { description: 'The member created for the organization (status INVITED until accepted).' })
  memberId: string;

  @Field({ description: 'The client id the organization will authenticate as.' })
  clientId: string;

  @Field({ description: 'After this time the token is refused.' })
  expiresAt: Date;

  @Field(() => Date, { nullable: true, description: 'When the invitation was accepted.' })
  acceptedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When an admin withdrew the invitation (its token is refused from then on).' })
  withdrawnAt: Date | null;

  @Field({ description: 'When the invitation was made.' })
  createdAt: Date;
}

@ObjectType({ description: 'A new invitation and its one-time token.' })
export class CreateInvitationPayload {
  @Field(() => Invitation, { description: 'The invitation.' })
  invitation: Invitation;

  @Field({
    description:
      'The one-time invitation token (`sfinv_...`). Shown only now: the server keeps only its hash. Send it to the organization over a trusted channel.',
  })
  invitationToken: string;
}
