import type { NextFunction, Request, Response } from 'express';
import { GraphQLError, Lexer, Source, TokenKind } from 'graphql';

/** Caps on a document's text, checked before it is parsed or validated. */
export interface DocumentLimits {
  /** Longest document, in characters. */
  maxLength: number;
  /** Most lexical tokens (also handed to the parser as `maxTokens`). */
  maxTokens: number;
  /** Most fragment definitions. */
  maxFragments: number;
  /** Most directives (`@skip`, `@include`...), counted as `@` tokens. */
  maxDirectives: number;
}

/** Limits for a request with and without a bearer token (a forged token gets the first; the guard refuses it later). */
export interface DocumentLimitsByCaller {
  authenticated: DocumentLimits;
  anonymous: DocumentLimits;
}

export const DEFAULT_DOCUMENT_LIMITS: DocumentLimitsByCaller = {
  authenticated: { maxLength: 100_000, maxTokens: 20_000, maxFragments: 100, maxDirectives: 200 },
  anonymous: { maxLength: 4_000, maxTokens: 1_000, maxFragments: 10, maxDirectives: 20 },
};

function refusal(code: string, message: string, max: number, actual: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code, max, actual, http: { status: 400 } } });
}

/**
 * The first cap `query` breaks, or undefined. One pass of the lexer, stopped
 * at the token limit: linear in the text and bounded whatever it holds. A
 * syntax error is left to the parser, which reports it with its location.
 */
export function checkDocumentSource(query: string, limits: DocumentLimits): GraphQLError | undefined {
  if (query.length > limits.maxLength) {
    return refusal(
      'QUERY_TOO_LARGE',
      `Document of ${query.length} characters exceeds the limit of ${limits.maxLength}`,
      limits.maxLength,
      query.length,
    );
  }
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  let directives = 0;
  let fragments = 0;
  let braces = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (++tokens > limits.maxTokens) {
        return refusal('TOO_MANY_TOKENS', `Document exceeds the limit of ${limits.maxTokens} tokens`, limits.maxTokens, tokens);
      }
      if (token.kind === TokenKind.BRACE_L) braces++;
      else if (token.kind === TokenKind.BRACE_R) braces--;
      else if (token.kind === TokenKind.AT && ++directives > limits.maxDirectives) {
        return refusal(
          'TOO_MANY_DIRECTIVES',
          `Document exceeds the limit of ${limits.maxDirectives} directives`,
          limits.maxDirectives,
          directives,
        );
      } else if (token.kind === TokenKind.NAME && braces === 0 && token.value === 'fragment' && ++fragments > limits.maxFragments) {
        return refusal(
          'TOO_MANY_FRAGMENTS',
          `Document exceeds the limit of ${limits.maxFragments} fragments`,
          limits.maxFragments,
          fragments,
        );
      }
    }
  } catch (error) {
    if (error instanceof GraphQLError) return undefined;
    throw error;
  }
  return undefined;
}

function hasBearer(req: Request): boolean {
  return /^bearer\s+\S/i.test(req.headers.authorization ?? '');
}

/**
 * Express middleware on the GraphQL path, before Apollo parses or validates
 * anything: refuses persisted-query requests (APQ is off: a hash registered
 * once would otherwise run for anyone) and documents over the caps, as 400s
 * with a code naming the limit. Answered in microseconds, so hostile
 * documents cost the event loop nothing.
 */
export function documentLimitsMiddleware(limits: DocumentLimitsByCaller) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const body = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object') return next();
    let extensions = body.extensions;
    if (typeof extensions === 'string') {
      try {
        extensions = JSON.parse(extensions);
      } catch {
        extensions = undefined;
      }
    }
    let error: GraphQLError | undefined;
    if (extensions && typeof extensions === 'object' && 'persistedQuery' in extensions) {
      error = new GraphQLError('Persisted queries are not supported: send the full document in `query`', {
        extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED' },
      });
    } else if (typeof body.query === 'string') {
      error = checkDocumentSource(body.query, hasBearer(req) ? limits.authenticated : limits.anonymous);
    }
    if (!error) return next();
    res.status(400).json({ errors: [{ message: error.message, extensions: { ...error.extensions, http: undefined } }] });
  };
}
