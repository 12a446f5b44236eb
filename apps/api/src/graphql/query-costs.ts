import type { DocumentNode, GraphQLSchema } from 'graphql';
import { enforceQueryLimits, type QueryLimits } from './query-limits.js';

/** Variable sets kept per document: an integration's few pages and filters. */
const PER_DOCUMENT = 32;
/** Longest cache key: variables beyond it (a submission's batch) are priced afresh every time. */
const MAX_KEY = 1_024;
/** Deepest variables kept: the list's filter is two levels down. */
const MAX_DEPTH = 4;

/**
 * `enforceQueryLimits` with its answers kept for documents seen before. An
 * operation's cost is a function of the schema, the parsed document, the
 * operation name and the variables; integrations send the same few documents
 * with the same variables over and over, and Apollo's document store hands
 * back the same parsed document for the same text, while pricing it walks
 * the whole document with the schema's types (about a tenth of an `alerts`
 * page's CPU). Only accepted operations are kept: a refused one is priced and
 * refused every time. Kept per document object (gone with it when Apollo's
 * store drops it), at most PER_DOCUMENT variable sets each, oldest first out.
 */
export class QueryCosts {
  private readonly bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, number>>>();

  constructor(private readonly limits: QueryLimits) {}

  /** What enforceQueryLimits returns (or throws) for this operation. */
  costOf(
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Record<string, unknown> | undefined,
  ): number {
    const key = cacheKey(operationName, variables);
    if (key === undefined) return enforceQueryLimits(schema, document, operationName, variables, this.limits);
    let documents = this.bySchema.get(schema);
    if (!documents) this.bySchema.set(schema, (documents = new WeakMap()));
    let costs = documents.get(document);
    if (!costs) documents.set(document, (costs = new Map()));
    const known = costs.get(key);
    if (known !== undefined) return known;
    const cost = enforceQueryLimits(schema, document, operationName, variables, this.limits);
    if (costs.size >= PER_DOCUMENT) costs.delete(costs.keys().next().value!);
    costs.set(key, cost);
    return cost;
  }
}

/**
 * The operation name and variables as one string, or undefined when they
 * are longer than MAX_KEY or deeper than MAX_DEPTH: written out only until
 * the budget is spent, so a 10,000-item batch costs a few steps, not a copy.
 */
export function cacheKey(operationName: string | null | undefined, variables: Record<string, unknown> | undefined): string | undefined {
  const parts: string[] = [JSON.stringify(operationName ?? null), ':'];
  const budget = { left: MAX_KEY };
  return write(parts, variables ?? null, MAX_DEPTH, budget) ? parts.join('') : undefined;
}

function write(parts: string[], value: unknown, depth: number, budget: { left: number }): boolean {
  if (--budget.left < 0) return false;
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'string' && value.length > budget.left) return false;
    // undefined is not JSON: written as a word JSON never produces.
    const text = value === undefined ? 'undefined' : JSON.stringify(value);
    budget.left -= text.length;
    parts.push(text);
    return budget.left >= 0;
  }
  if (depth === 0) return false;
  if (Array.isArray(value)) {
    parts.push('[');
    for (const item of value as unknown[]) {
      if (!write(parts, item, depth - 1, budget)) return false;
      parts.push(',');
    }
    parts.push(']');
    return true;
  }
  parts.push('{');
  // for...in, not Object.entries: a huge object stops at the budget instead of being copied first.
  for (const name in value) {
    if (!Object.hasOwn(value, name)) continue;
    if (!write(parts, name, depth, budget)) return false;
    parts.push(':');
    if (!write(parts, (value as Record<string, unknown>)[name], depth - 1, budget)) return false;
    parts.push(',');
  }
  parts.push('}');
  return true;
}
