import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Connection, JSONObject, type JsonObject } from '@app/common';
import { KeyStatus, MemberRole, MemberStatus } from '@app/database';

registerEnumType(MemberStatus, {
  name: 'MemberStatus',
  description: 'Where a member stands in the federation.',
  valuesMap: {
    INVITED: { description: 'Invited; becomes ACTIVE when the invitation is accepted with a first key.' },
    ACTIVE: { description: 'May authenticate and use the federation.' },
    SUSPENDED: { description: 'Suspended by an admin; its tokens are refused until reinstated.' },
  },
});

registerEnumType(MemberRole, {
  name: 'MemberRole',
  description: 'What a member may do.',
  valuesMap: {
    MEMBER: { description: 'A participating organization.' },
    ADMIN: { description: 'The federation operator: invites, suspends and reads the audit log.' },
  },
});

registerEnumType(KeyStatus, {
  name: 'KeyStatus',
  description: 'Whether a member key may authenticate.',
  valuesMap: {
    ACTIVE: { description: 'Accepted for client assertions.' },
    REVOKED: { description: 'Refused, together with every access token obtained with it.' },
  },
});

@ObjectType({ description: 'A public key a member signs its client assertions with. The server never holds the private key.' })
export class MemberKey {
  @Field({ description: 'The key id: the RFC 7638 thumbprint of the public key; put it in the `kid` header of client assertions.' })
  kid: string;

  @Field({ description: 'The signature algorithm of the key: `EdDSA` (Ed25519) or `ES256` (P-256).' })
  alg: string;

  @Field(() => KeyStatus, { description: 'ACTIVE or REVOKED.' })
  status: KeyStatus;

  @Field(() => JSONObject, { description: 'The public key as a JWK (public members, kid, alg, use).' })
  publicJwk: JsonObject;

  @Field({ description: 'When the key was registered.' })
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'When the key was revoked.' })
  revokedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the key last obtained an access token (updated at most once a minute).' })
  lastUsedAt: Date | null;
}

@ObjectType({ description: 'An organization taking part in the federation.' })
export class Member {
  @Field(() => ID, { description: 'The member id (`sub` of its access tokens).' })
  id: string;

  @Field({ description: 'The OAuth client id: `iss` and `sub` of the member’s client assertions.' })
  clientId: string;

  @Field({ description: 'Display name of the organization.' })
  name: string;

  @Field(() => String, { nullable: true, description: 'Contact address for the operator.' })
  contactEmail: string | null;

  @Field(() => MemberStatus, { description: 'INVITED, ACTIVE or SUSPENDED.' })
  status: MemberStatus;

  @Field(() => MemberRole, { description: 'MEMBER or ADMIN.' })
  role: MemberRole;

  @Field(() => Date, { nullable: true, description: 'When the member was suspended, while it is.' })
  suspendedAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Why the member was suspended, while it is.' })
  suspendedReason: string | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Its own submission quota in indicators per hour, set by an admin, which replaces the per-type defaults too; null: the server defaults (SUBMISSION_QUOTA_PER_HOUR, SUBMISSION_QUOTA_PER_HOUR_IP_RANGE).',
  })
  indicatorsPerHour: number | null;

  @Field({ description: 'When the member was created (invited).' })
  createdAt: Date;

  @Field(() => [MemberKey], { description: 'The member’s keys, oldest first, revoked ones included.' })
  keys: MemberKey[];
}

@ObjectType({ description: 'A page of members, oldest first.' })
export class MemberConnection extends Connection(Member) {}
