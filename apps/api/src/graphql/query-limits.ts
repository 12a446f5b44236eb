import {
  getIntrospectionQuery,
  getVariableValues,
  GraphQLError,
  Kind,
  parse,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { PAGE_SIZE } from '@app/common';

/** The limits every GraphQL document must respect before any resolver runs. */
export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxOperations: number;
  maxCost: number;
  /**
   * Introspection is served (development, or GRAPHQL_INTROSPECTION): an operation that selects
   * only introspection fields may then be as deep as graphql-js's own introspection query.
   */
  introspection?: boolean;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 10, maxAliases: 30, maxOperations: 5, maxCost: 10_000 };

const INTROSPECTION_FIELDS = new Set(['__schema', '__type', '__typename']);

/** A refused document: says which limit, the limit, and how far over it the document is. */
export function limitError(limit: string, max: number, actual: number): GraphQLError {
  return new GraphQLError(`Query ${limit} ${actual} exceeds the limit of ${max}`, {
    extensions: { code: 'QUERY_LIMIT_EXCEEDED', limit, max, actual, http: { status: 400 } },
  });
}

/**
 * List fields cost their page size times what each item costs, as GitHub and
 * Shopify price their APIs: `alerts(first: 100) { ...20 fields }` costs about
 * 2,000 while a scalar costs 1.
 */
const pagedListEstimator: ComplexityEstimator = ({ args, childComplexity }) => {
  if (!('first' in args) && !('after' in args)) return undefined;
  const first = typeof args.first === 'number' ? args.first : PAGE_SIZE.default;
  return 1 + Math.max(first, 1) * Math.max(childComplexity, 1);
};

interface FragmentFacts {
  /** Deepest level below the spread's own level. */
  depth: number;
  aliases: number;
  /** Fields once every spread is expanded (a lower bound on the cost: every field costs at least 1). */
  fields: number;
}

/**
 * Depth, aliases and expanded field count of a selection set, each fragment
 * analysed once and its figures reused at every spread: linear in the
 * document however often fragments spread each other (without the memo, a
 * chain of fragments each spreading the next twice doubles the work per level).
 */
function analyse(
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  memo: Map<string, FragmentFacts>,
  inProgress: Set<string>,
): FragmentFacts {
  const facts: FragmentFacts = { depth: 0, aliases: 0, fields: 0 };
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      facts.fields++;
      if (selection.alias) facts.aliases++;
      if (selection.selectionSet) {
        const child = analyse(selection.selectionSet, fragments, memo, inProgress);
        facts.depth = Math.max(facts.depth, child.depth + 1);
        facts.aliases += child.aliases;
        facts.fields += child.fields;
      }
    } else {
      let child: FragmentFacts | undefined;
      if (selection.kind === Kind.INLINE_FRAGMENT) child = analyse(selection.selectionSet, fragments, memo, inProgress);
      else {
        const name = selection.name.value;
        child = memo.get(name);
        const fragment = fragments.get(name);
        // A fragment spread twice counts twice (it is executed twice); a cycle is refused by validation anyway.
        if (!child && fragment && !inProgress.has(name)) {
          inProgress.add(name);
          child = analyse(fragment.selectionSet, fragments, memo, inProgress);
          inProgress.delete(name);
          memo.set(name, child);
        }
      }
      if (child) {
        facts.depth = Math.max(facts.depth, child.depth);
        facts.aliases += child.aliases;
        facts.fields += child.fields;
      }
    }
  }
  return facts;
}

/** The longest list of scalars the cost estimate keeps (evaluateBlinded's blindedElements; OPRF_MAX_ELEMENTS_PER_CALL is at most this). */
export const MAX_PRICED_LIST = 4_096;

/** A list the estimate keeps: scalars only (cheap to coerce), at most MAX_PRICED_LIST of them. */
function keepsList(list: unknown[]): boolean {
  if (list.length > MAX_PRICED_LIST) return false;
  for (const item of list) if (item !== null && typeof item === 'object') return false;
  return true;
}

/**
 * Variables as the cost estimate needs them: lists of objects, and lists of
 * scalars longer than MAX_PRICED_LIST, emptied. Estimators read list items
 * only where a field is priced by its list's length (evaluateBlinded counts
 * its elements), and getComplexity coerces the variables it is given, so a
 * 10,000-indicator batch would otherwise be coerced twice per request (here
 * and again by execution). A longer list of scalars priced as empty is
 * refused by its resolver anyway (OPRF_MAX_ELEMENTS_PER_CALL).
 */
export function withoutListItems<T>(value: T): T {
  if (Array.isArray(value)) return (keepsList(value) ? [...value] : []) as T;
  if (value === null || typeof value !== 'object') return value;
  // Without recursion: variables may nest as deep as the body limit allows, and a stack overflow here is a 500.
  const root: Record<string, unknown> = {};
  const stack: [Record<string, unknown>, Record<string, unknown>][] = [[value as Record<string, unknown>, root]];
  while (stack.length > 0) {
    const [from, to] = stack.pop()!;
    for (const [key, item] of Object.entries(from)) {
      if (Array.isArray(item)) to[key] = keepsList(item) ? [...item] : [];
      else if (item !== null && typeof item === 'object') {
        const copy: Record<string, unknown> = {};
        to[key] = copy;
        stack.push([item as Record<string, unknown>, copy]);
      } else to[key] = item;
    }
  }
  return root as T;
}

/**
 * Throws the first limit `document` breaks for the operation that would run:
 * too many operations, too deep, too many aliases, or too costly. Returns the
 * operation's cost (reported back to clients in `extensions.cost`).
 */
export function enforceQueryLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | undefined,
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): number {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length > limits.maxOperations) throw limitError('operations', limits.maxOperations, operations.length);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return 0;

  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
  );
  const facts = analyse(operation.selectionSet, fragments, new Map(), new Set());
  const depth = facts.depth + 1;
  const maxDepth = limits.introspection && isIntrospection(operation) ? Math.max(limits.maxDepth, INTROSPECTION_DEPTH) : limits.maxDepth;
  if (depth > maxDepth) throw limitError('depth', maxDepth, depth);
  if (facts.aliases > limits.maxAliases) throw limitError('aliases', limits.maxAliases, facts.aliases);
  // graphql-query-complexity expands every spread (exponential on nested fragments): it only runs once
  // the expanded document is known to be small. Each field costs at least 1, so more fields than the
  // cost limit is over the cost limit (fields skipped by @skip aside, which only a hostile document needs).
  if (facts.fields > limits.maxCost) throw limitError('cost', limits.maxCost, facts.fields);

  // Variables that do not coerce never execute: execution refuses them as BAD_USER_INPUT naming the
  // variable and the path. getComplexity would throw the same error from this plugin hook instead,
  // which Apollo answers as INTERNAL_SERVER_ERROR with HTTP 500.
  const estimateVariables = withoutListItems(variables) ?? {};
  if (getVariableValues(schema, operation.variableDefinitions ?? [], estimateVariables).errors) return 0;

  const cost = getComplexity({
    schema,
    query: document,
    operationName: operation.name?.value,
    variables: estimateVariables,
    estimators: [fieldExtensionsEstimator(), pagedListEstimator, simpleEstimator({ defaultComplexity: 1 })],
  });
  if (cost > limits.maxCost) throw limitError('cost', limits.maxCost, cost);
  return cost;
}

/** Whether every root field of `operation` is an introspection field (`__schema`, `__type`, `__typename`). */
function isIntrospection(operation: OperationDefinitionNode): boolean {
  return (
    operation.operation === 'query' &&
    operation.selectionSet.selections.every((selection) => selection.kind === Kind.FIELD && INTROSPECTION_FIELDS.has(selection.name.value))
  );
}

/** How deep a document is, counted as enforceQueryLimits counts it. */
function depthOf(document: DocumentNode): number {
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
  );
  return analyse(operation.selectionSet, fragments, new Map(), new Set()).depth + 1;
}

/**
 * The depth of the standard introspection query (GraphiQL, codegen and Postman send it), with
 * every option on, measured from the installed graphql-js so that a deeper TypeRef in a later
 * release still fits. Deeper introspection documents are refused like any other.
 */
export const INTROSPECTION_DEPTH = depthOf(
  parse(
    getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    }),
  ),
);
