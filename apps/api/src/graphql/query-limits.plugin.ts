import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { enforceQueryLimits, type QueryLimits } from './query-limits.js';

/**
 * Refuses over-limit documents after parsing and validation, before any
 * resolver runs, and reports the cost of accepted ones in `extensions.cost`.
 */
export function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      let cost = 0;
      return {
        async didResolveOperation({ schema, document, request }) {
          cost = enforceQueryLimits(schema, document, request.operationName, request.variables, limits);
        },
        async willSendResponse({ response }) {
          if (response.body.kind === 'single' && cost > 0) {
            response.body.singleResult.extensions = { ...response.body.singleResult.extensions, cost };
          }
        },
      };
    },
  };
}
