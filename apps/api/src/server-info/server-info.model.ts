import { Field, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'Facts about this server that any client may read.' })
export class ServerInfo {
  @Field({ description: 'The issuer URL: `aud` of client assertions and `iss` of access tokens.' })
  issuer: string;

  @Field({ description: 'The server time, to check clock skew before signing assertions.' })
  time: Date;
}
