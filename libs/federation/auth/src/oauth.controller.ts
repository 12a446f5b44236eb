import { Controller, Get, Header, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Public, RequestId } from '@app/common';
import { SigningKeyService } from './signing-key.service.js';
import { TokenEndpointService, type OAuthErrorResponse, type TokenResponse } from './token-endpoint.service.js';
import { ServerMetadataService, type AuthorizationServerMetadata } from './server-metadata.service.js';

/** The OAuth endpoints: token (RFC 6749 + RFC 7523), JWKS (RFC 7517) and metadata (RFC 8414). */
@Public()
@Controller()
export class OAuthController {
  constructor(
    private readonly tokens: TokenEndpointService,
    private readonly keys: SigningKeyService,
    private readonly metadata: ServerMetadataService,
  ) {}

  /** Exchanges a client assertion for an access token; errors are 400 with an RFC 6749 body. */
  @Post('oauth/token')
  @HttpCode(200)
  async token(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @RequestId() requestId: string | undefined,
  ): Promise<TokenResponse | OAuthErrorResponse> {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    const form = req.is('application/x-www-form-urlencoded') ? (req.body as Record<string, unknown>) : undefined;
    const result = await this.tokens.handle(form, requestId);
    if ('error' in result) res.status(400);
    return result;
  }

  /** The server's public signing keys: current, and retired ones whose tokens may still be alive. */
  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=60')
  jwks(): Promise<{ keys: object[] }> {
    return this.keys.jwks();
  }

  /** Where the token endpoint and keys are, and what they accept. */
  @Get('.well-known/oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  serverMetadata(): AuthorizationServerMetadata {
    return this.metadata.describe();
  }
}
