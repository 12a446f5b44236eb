import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLExceptionFilter, InputValidationPipe } from '@app/common';
import type { AppConfig } from '@app/config';
import { CoreModule } from '@app/runtime';
import { graphqlOptions } from './graphql.config.js';
import { ServerInfoResolver } from './server-info/server-info.resolver.js';

/** The HTTP role: GraphQL at /graphql plus the REST endpoints standards require. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [CoreModule.forRoot(config, 'api'), GraphQLModule.forRoot<ApolloDriverConfig>(graphqlOptions(config))],
      providers: [
        ServerInfoResolver,
        { provide: APP_PIPE, useClass: InputValidationPipe },
        { provide: APP_FILTER, useValue: new GraphQLExceptionFilter(config.env === 'development') },
      ],
    };
  }
}
