import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ASSERTION_ALGORITHMS } from './auth.constants.js';

/** RFC 8414 authorization server metadata (the fields that apply here). */
export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint: string;
  jwks_uri: string;
  /** RFC 8414 requires it; empty, because there is no authorization endpoint. */
  response_types_supported: string[];
  grant_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  token_endpoint_auth_signing_alg_values_supported: string[];
}

/** Describes this server for OAuth clients (GET /.well-known/oauth-authorization-server). */
@Injectable()
export class ServerMetadataService {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The metadata document, built from the configured issuer URL. */
  describe(): AuthorizationServerMetadata {
    const issuer = this.config.http.publicBaseUrl;
    return {
      issuer,
      token_endpoint: `${issuer}/oauth/token`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      response_types_supported: [],
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
    };
  }
}
