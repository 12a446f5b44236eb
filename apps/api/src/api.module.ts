import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { AlertStreamModule, SocketWatchService } from '@app/alert-stream';
import { AuditLogModule } from '@app/audit';
import { AuthModule } from '@app/auth';
import { CampaignsModule } from '@app/campaigns';
import { DateTimeScalar, GraphQLExceptionFilter, InputValidationPipe, JSONObjectScalar } from '@app/common';
import type { AppConfig } from '@app/config';
import { MembersModule } from '@app/members';
import { AlertsModule } from '@app/alerts';
import { IndicatorsModule } from '@app/indicators';
import { KeyEpochsModule } from '@app/key-epochs';
import { RateLimitModule } from '@app/rate-limit';
import { ReportsModule } from '@app/reports';
import { SimilarityModule } from '@app/similarity';
import { CoreModule } from '@app/runtime';
import { TaxiiModule } from '@app/taxii';
import { WebhooksModule } from '@app/webhooks';
import { graphqlOptions } from './graphql.config.js';
import { ServerInfoResolver } from './server-info/server-info.resolver.js';

/** The HTTP role: GraphQL at /graphql plus the REST endpoints standards require. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        CoreModule.forRoot(config, 'api'),
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          imports: [AlertStreamModule],
          inject: [SocketWatchService],
          useFactory: (sockets: SocketWatchService) => graphqlOptions(config, sockets),
        }),
        RateLimitModule,
        AuthModule,
        AuditLogModule,
        MembersModule,
        IndicatorsModule,
        SimilarityModule,
        KeyEpochsModule,
        AlertsModule,
        CampaignsModule,
        WebhooksModule,
        AlertStreamModule,
        TaxiiModule,
        ReportsModule,
      ],
      providers: [
        ServerInfoResolver,
        JSONObjectScalar,
        DateTimeScalar,
        { provide: APP_PIPE, useClass: InputValidationPipe },
        { provide: APP_FILTER, useValue: new GraphQLExceptionFilter(config.env === 'development') },
      ],
    };
  }
}
