import { join } from 'node:path';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import { ApolloDriver } from '@nestjs/apollo';
import { projectRoot } from '@app/common';
import type { AppConfig } from '@app/config';

/**
 * Apollo settings. In development the code-first schema is written to
 * schema.gql at the repository root, which is committed so schema changes
 * show in review (test/graphql-schema.test.ts keeps it current).
 */
export function graphqlOptions(config: AppConfig): ApolloDriverConfig {
  const development = config.env === 'development';
  return {
    driver: ApolloDriver,
    path: '/graphql',
    autoSchemaFile: development ? join(projectRoot(), 'schema.gql') : true,
    sortSchema: true,
    introspection: config.env !== 'production',
    includeStacktraceInErrorResponses: development,
    csrfPrevention: true,
    context: ({ req, res }: { req: unknown; res: unknown }) => ({ req, res }),
  };
}
