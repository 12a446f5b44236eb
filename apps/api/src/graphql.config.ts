import { join } from 'node:path';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import { ApolloDriver } from '@nestjs/apollo';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { alertStreamWsOptions, type SocketWatchService } from '@app/alert-stream';
import { projectRoot } from '@app/common';
import type { AppConfig } from '@app/config';
import { queryLimitsPlugin } from './graphql/query-limits.plugin.js';
import { WebSocketOperations } from './graphql/websocket-operations.js';

/**
 * Apollo settings, and graphql-ws's for subscriptions (`sockets` watches
 * their connections). In development the code-first schema is written to
 * schema.gql at the repository root, which is committed so schema changes
 * show in review (test/graphql-schema.test.ts keeps it current).
 */
export function graphqlOptions(config: AppConfig, sockets: SocketWatchService): ApolloDriverConfig {
  const development = config.env === 'development';
  const limits = {
    maxDepth: config.graphql.maxDepth,
    maxAliases: config.graphql.maxAliases,
    maxOperations: config.graphql.maxOperations,
    maxCost: config.graphql.maxCost,
    introspection: config.graphql.introspection,
  };
  // Subscribe messages get the rules of an authenticated HTTP request (the connection was admitted with a token).
  const webSocketOperations = new WebSocketOperations({
    document: config.graphql.document.authenticated,
    limits,
    introspection: config.graphql.introspection,
    hideSuggestions: config.env === 'production',
  });
  return {
    driver: ApolloDriver,
    path: '/graphql',
    autoSchemaFile: development ? join(projectRoot(), 'schema.gql') : true,
    sortSchema: true,
    introspection: config.graphql.introspection,
    // Production: no "did you mean" hints that map the schema for a caller without introspection.
    hideSchemaDetailsFromClientErrors: config.env === 'production',
    includeStacktraceInErrorResponses: development,
    // Refuses simple (CSRF-able) requests: text/plain POSTs and GETs without a preflight-forcing header.
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // No automatic persisted queries: a hash registered once would then run for anyone (refused as
    // PERSISTED_QUERY_NOT_SUPPORTED by the document-limits middleware before Apollo sees it).
    persistedQueries: false,
    // The parser stops at the token cap (the middleware already refused larger anonymous documents).
    parseOptions: { maxTokens: config.graphql.document.authenticated.maxTokens },
    plugins: [
      // No HTTP cache hints are served (every answer is private to its member); Apollo's cache-control
      // plugin otherwise wraps every field resolver, a visible cost on a page of 20 alerts x 16 fields.
      ApolloServerPluginCacheControlDisabled(),
      // What that plugin said of every answer, kept: no cache may store a member's data.
      {
        requestDidStart: async () => ({
          willSendResponse: async ({ response }) => void response.http.headers.set('cache-control', 'no-store'),
        }),
      },
      queryLimitsPlugin(limits),
    ],
    context: ({ req, res }: { req: unknown; res: unknown }) => ({ req, res }),
    // Subscriptions (alertEvents) over graphql-ws on the same path; the bearer token travels in the init payload.
    subscriptions: { 'graphql-ws': alertStreamWsOptions(sockets, webSocketOperations.prepare) },
    // The schema as served, for checking subscribe messages (graphql-ws hands its hooks none).
    transformSchema: webSocketOperations.useSchema,
  };
}
