import { Scalar, type CustomScalar } from '@nestjs/graphql';
import { Kind, type ValueNode } from 'graphql';

/** A JSON value as GraphQL input and output carry it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object: what the JSONObject scalar accepts. */
export type JsonObject = { [key: string]: JsonValue };

/** Type reference for `@Field(() => JSONObject)`; values are plain JsonObjects. */
export class JSONObject {}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Deepest nesting accepted (a JWK is 2 levels). Deeper values would reach
 * code that recurses (validation, JSON.stringify, the database driver) and
 * overflow its stack: an internal error instead of a refusal.
 */
const MAX_DEPTH = 32;
const TOO_DEEP = `JSONObject must not nest deeper than ${MAX_DEPTH} levels`;

function literal(node: ValueNode, variables: Record<string, unknown> | null | undefined, depth = 1): JsonValue {
  if (depth > MAX_DEPTH) throw new TypeError(TOO_DEEP);
  switch (node.kind) {
    case Kind.STRING:
    case Kind.ENUM:
      return node.value;
    case Kind.BOOLEAN:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map((v) => literal(v, variables, depth + 1));
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, literal(f.value, variables, depth + 1)]));
    case Kind.VARIABLE:
      return (variables?.[node.name.value] ?? null) as JsonValue;
  }
}

function objectOnly(value: unknown): JsonObject {
  // A plain TypeError: graphql-js wraps it into its own error naming the argument.
  if (!isPlainObject(value)) throw new TypeError('JSONObject must be a JSON object');
  // Measured without recursion, so that any depth is refused rather than overflowing here.
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (depth > MAX_DEPTH) throw new TypeError(TOO_DEEP);
    for (const item of Object.values(current as object)) {
      if (typeof item === 'object' && item !== null) stack.push([item, depth + 1]);
    }
  }
  return value;
}

/**
 * The JSONObject scalar: a JSON object (never an array or a scalar), for
 * values whose shape is a standard of its own, such as JWKs. Validate the
 * content with class-validator. Register the class once as a provider of
 * the API module. (A class rather than a GraphQLScalarType instance, so that
 * Nest builds the type with its own copy of `graphql`.)
 */
@Scalar('JSONObject', () => JSONObject)
export class JSONObjectScalar implements CustomScalar<JsonObject, JsonObject> {
  description = 'A JSON object, such as a JSON Web Key (RFC 7517).';

  parseValue(value: unknown): JsonObject {
    return objectOnly(value);
  }

  serialize(value: unknown): JsonObject {
    return objectOnly(value);
  }

  parseLiteral(node: ValueNode, variables?: Record<string, unknown> | null): JsonObject {
    return objectOnly(literal(node, variables));
  }
}
