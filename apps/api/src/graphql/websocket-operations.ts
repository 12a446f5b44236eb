import {
  getOperationAST,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import type { PreparedOperation } from '@app/alert-stream';
import { checkDocumentSource, type DocumentLimits } from './document-limits.js';
import { enforceQueryLimits, type QueryLimits } from './query-limits.js';

/** The rules a subscribe message is held to: those of an authenticated HTTP request. */
export interface WebSocketRules {
  document: DocumentLimits;
  limits: QueryLimits;
  introspection: boolean;
  /** Strip "Did you mean ...?" from validation errors (Apollo's hideSchemaDetailsFromClientErrors). */
  hideSuggestions: boolean;
}

/** What Apollo's DisableSuggestions plugin removes from a validation message. */
const SUGGESTION = / ?Did you mean(.+?)\?$/;

/** An error as a graphql-ws client receives it: `extensions.code` as over HTTP, without the HTTP status. */
function refusal(message: string, code: string, source?: GraphQLError): GraphQLError {
  const { http: _http, ...extensions } = (source?.extensions ?? {}) as Record<string, unknown>;
  return new GraphQLError(message, { nodes: source?.nodes, extensions: { ...extensions, code } });
}

/**
 * Checks graphql-ws subscribe messages the way Apollo and the query-limits
 * plugin check a GraphQL request over HTTP, which they never see: the
 * document caps, parsing, the specified validation rules (no introspection
 * where it is off, no field suggestions where they are hidden), then
 * subscriptions only (`OPERATION_NOT_ALLOWED_OVER_WEBSOCKET`: queries and
 * mutations have one way in, HTTP), then depth, aliases and cost. The cost
 * goes to the AuthGuard, which charges it to the member's budget.
 */
export class WebSocketOperations {
  private schema: GraphQLSchema | undefined;
  private readonly rules;

  constructor(private readonly config: WebSocketRules) {
    this.rules = config.introspection ? specifiedRules : [...specifiedRules, NoSchemaIntrospectionCustomRule];
  }

  /** Takes the schema the server serves (as GraphQLModule's `transformSchema`, which sees it first). */
  readonly useSchema = (schema: GraphQLSchema): GraphQLSchema => {
    this.schema = schema;
    return schema;
  };

  /** The operation to execute and its cost, or the errors that refuse it. */
  readonly prepare = (payload: SubscribePayload): PreparedOperation | GraphQLError[] => {
    const schema = this.schema;
    if (!schema) return [refusal('The server is starting; try again', 'SERVICE_UNAVAILABLE')];
    if (typeof payload.query !== 'string') return [refusal('`query` must be a GraphQL document', 'BAD_REQUEST')];
    const capped = checkDocumentSource(payload.query, this.config.document);
    if (capped) return [refusal(capped.message, capped.extensions.code as string, capped)];

    let document: DocumentNode;
    try {
      document = parse(payload.query, { maxTokens: this.config.document.maxTokens });
    } catch (error) {
      if (error instanceof GraphQLError) return [refusal(error.message, 'GRAPHQL_PARSE_FAILED', error)];
      throw error;
    }
    const invalid = validate(schema, document, this.rules);
    if (invalid.length > 0) {
      return invalid.map((error) =>
        refusal(this.config.hideSuggestions ? error.message.replace(SUGGESTION, '') : error.message, 'GRAPHQL_VALIDATION_FAILED', error),
      );
    }

    const operation = getOperationAST(document, payload.operationName);
    if (!operation) return [refusal('Unable to identify the operation: name it in `operationName`', 'OPERATION_RESOLUTION_FAILURE')];
    if (operation.operation !== 'subscription') {
      return [
        refusal(
          `A ${operation.operation} is not served over the WebSocket, which carries subscriptions only: send it over HTTP (POST /graphql)`,
          'OPERATION_NOT_ALLOWED_OVER_WEBSOCKET',
        ),
      ];
    }
    const variables = payload.variables ?? undefined;
    let cost: number;
    try {
      cost = enforceQueryLimits(schema, document, payload.operationName, variables, this.config.limits);
    } catch (error) {
      if (error instanceof GraphQLError) return [refusal(error.message, error.extensions.code as string, error)];
      throw error;
    }
    return { args: { schema, document, operationName: payload.operationName, variableValues: variables }, cost };
  };
}
