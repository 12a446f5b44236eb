import { Injectable, Logger } from '@nestjs/common';
import { Counter } from 'prom-client';
import { executeRows, PrismaService } from '@app/database';
import { MetricsService } from '@app/observability';
import { AccessTokenService } from './access-token.service.js';
import { AuthFailureMonitor } from './auth-failure.monitor.js';
import { JWT_BEARER_ASSERTION_TYPE } from './auth.constants.js';
import { keyUsed } from './auth.sql.js';
import { ClientAssertionVerifier, ClientAuthFailure } from './client-assertion.verifier.js';

/** RFC 6749 section 5.1 success body. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** RFC 6749 section 5.2 error body. */
export interface OAuthErrorResponse {
  error: 'invalid_request' | 'invalid_client' | 'unsupported_grant_type';
  error_description: string;
}

const invalidRequest = (description: string): OAuthErrorResponse => ({
  error: 'invalid_request',
  error_description: description,
});

/** The only answer to a refused assertion, whatever check failed. */
export const INVALID_CLIENT: OAuthErrorResponse = {
  error: 'invalid_client',
  error_description: 'client authentication failed',
};

/**
 * POST /oauth/token: the client_credentials grant with private_key_jwt
 * client authentication. Parameter problems are explained; authentication
 * failures all get the same `invalid_client` answer, the precise reason
 * going to the server log only.
 */
@Injectable()
export class TokenEndpointService {
  private readonly logger = new Logger(TokenEndpointService.name);
  private readonly outcomes: Counter<'outcome'>;

  constructor(
    private readonly verifier: ClientAssertionVerifier,
    private readonly tokens: AccessTokenService,
    private readonly failures: AuthFailureMonitor,
    private readonly prisma: PrismaService,
    metrics: MetricsService,
  ) {
    this.outcomes = new Counter({
      name: 'sigfed_oauth_token_requests_total',
      help: 'POST /oauth/token requests by outcome (issued, or the OAuth error code).',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
  }

  /** Handles one token request; `form` is the parsed body, or undefined when it was not form-encoded. */
  async handle(form: Record<string, unknown> | undefined, requestId: string | undefined): Promise<TokenResponse | OAuthErrorResponse> {
    const result = await this.exchange(form, requestId);
    this.outcomes.inc({ outcome: 'error' in result ? result.error : 'issued' });
    return result;
  }

  private async exchange(
    form: Record<string, unknown> | undefined,
    requestId: string | undefined,
  ): Promise<TokenResponse | OAuthErrorResponse> {
    if (!form) return invalidRequest('the body must be application/x-www-form-urlencoded');
    const params = new Map<string, string>();
    for (const name of ['grant_type', 'client_assertion_type', 'client_assertion', 'client_id']) {
      const value = form[name];
      if (value === undefined || value === '') continue;
      if (typeof value !== 'string') return invalidRequest(`${name} must be given once`);
      params.set(name, value);
    }
    const grantType = params.get('grant_type');
    if (!grantType) return invalidRequest('grant_type is required');
    if (grantType !== 'client_credentials') {
      return { error: 'unsupported_grant_type', error_description: 'only grant_type=client_credentials is supported' };
    }
    const assertionType = params.get('client_assertion_type');
    const assertion = params.get('client_assertion');
    if (!assertionType || !assertion) {
      return invalidRequest('client_assertion_type and client_assertion are required (private_key_jwt, RFC 7523)');
    }
    if (assertionType !== JWT_BEARER_ASSERTION_TYPE) {
      return invalidRequest(`client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}`);
    }

    try {
      const client = await this.verifier.verify(assertion, params.get('client_id'));
      const issued = await this.tokens.issue(client.member, client.keyId);
      await executeRows(this.prisma, keyUsed, [client.keyId]);
      return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn };
    } catch (error) {
      if (!(error instanceof ClientAuthFailure)) throw error;
      this.logger.warn({ reason: error.reason, clientId: error.clientId, kid: error.kid, requestId }, 'client authentication failed');
      await this.failures.failed(error.clientId, requestId);
      return INVALID_CLIENT;
    }
  }
}
