import { Inject } from '@nestjs/common';
import { Query, Resolver } from '@nestjs/graphql';
import { Public } from '@app/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ServerInfo } from './server-info.model.js';

/** Public, unauthenticated facts a client needs before it can authenticate. */
@Resolver(() => ServerInfo)
export class ServerInfoResolver {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Public()
  @Query(() => ServerInfo, { description: 'The issuer URL and server time; needs no token.' })
  serverInfo(): ServerInfo {
    return { issuer: this.config.http.publicBaseUrl, time: new Date() };
  }
}
