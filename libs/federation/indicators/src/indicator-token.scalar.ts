import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { TOKEN_PATTERN } from '@app/sdk';

const RULE = 'must be 64 lowercase hex characters (HMAC-SHA256 of the canonical value, see docs/canonicalization.md)';

function parse(value: unknown): string {
  if (typeof value === 'string' && TOKEN_PATTERN.test(value)) return value;
  throw new GraphQLError(`IndicatorToken ${RULE}`);
}

/**
 * A keyed hash as members submit it. Checked during variable coercion, in one
 * pass, so a bad token in a 10,000-item batch is reported with its index
 * before any resolver runs and without class-validator's per-item cost.
 */
export const IndicatorTokenScalar = new GraphQLScalarType<string, string>({
  name: 'IndicatorToken',
  description: `An indicator token: ${RULE}.`,
  serialize: (value) => value as string,
  parseValue: parse,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError(`IndicatorToken ${RULE}`);
    return parse(ast.value);
  },
});
