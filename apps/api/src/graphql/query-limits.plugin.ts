import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { requestBudgetOf, setOperationCost } from '@app/common';
import { QueryCosts } from './query-costs.js';
import type { QueryLimits } from './query-limits.js';

type HttpContext = BaseContext & { req?: object };

/**
 * Refuses over-limit documents after parsing and validation, before any
 * resolver runs; hands the cost to the AuthGuard, which charges it to the
 * member's budget; and reports `extensions.cost` and, for authenticated
 * calls, `extensions.rateLimit` ({ cost, limit, remaining, resetAt }).
 */
export function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin<HttpContext> {
  const costs = new QueryCosts(limits);
  return {
    async requestDidStart() {
      let cost = 0;
      return {
        async didResolveOperation({ schema, document, request, contextValue, operation }) {
          if (operation?.operation === 'subscription') {
            throw new GraphQLError('Subscriptions are served over the WebSocket (graphql-ws) on this path, not over HTTP', {
              extensions: { code: 'SUBSCRIPTION_OVER_HTTP', http: { status: 400 } },
            });
          }
          cost = costs.costOf(schema, document, request.operationName, request.variables);
          if (contextValue.req) setOperationCost(contextValue.req, cost);
        },
        async willSendResponse({ response, contextValue }) {
          // Refusals name no framework: Apollo's own messages that do are replaced by a neutral one.
          if (response.body.kind === 'single') {
            for (const error of response.body.singleResult.errors ?? []) {
              if (!/apollo/i.test(error.message)) continue;
              (error as { message: string }).message = /introspection/i.test(error.message)
                ? 'Introspection is disabled on this server'
                : 'The request could not be processed';
            }
          }
          if (response.body.kind !== 'single' || cost === 0) return;
          const budget = contextValue.req ? requestBudgetOf(contextValue.req) : undefined;
          response.body.singleResult.extensions = {
            ...response.body.singleResult.extensions,
            cost,
            ...(budget ? { rateLimit: { ...budget, resetAt: budget.resetAt.toISOString() } } : {}),
          };
        },
      };
    },
  };
}
