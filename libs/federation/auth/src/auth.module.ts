import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditModule } from '@app/audit';
import { AuditCheckpointModule } from './audit-checkpoint.module.js';
import { AuditCheckpointResolver } from './audit-checkpoint.resolver.js';
import { AccessTokenService } from './access-token.service.js';
import { AuthFailureMonitor } from './auth-failure.monitor.js';
import { AuthGuard } from './auth.guard.js';
import { ClientAssertionVerifier } from './client-assertion.verifier.js';
import { MemberStateModule } from './member-state.cache.js';
import { OAuthController } from './oauth.controller.js';
import { ServerMetadataService } from './server-metadata.service.js';
import { SigningKeyBootstrap } from './signing-key.bootstrap.js';
import { SigningKeysModule } from './signing-keys.module.js';
import { TokenEndpointService } from './token-endpoint.service.js';

/**
 * Machine authentication for the API role: the OAuth endpoints, access-token
 * verification and the global AuthGuard.
 */
@Module({
  imports: [SigningKeysModule, AuditModule, MemberStateModule, AuditCheckpointModule],
  controllers: [OAuthController],
  providers: [
    AccessTokenService,
    AuditCheckpointResolver,
    AuthFailureMonitor,
    ClientAssertionVerifier,
    ServerMetadataService,
    SigningKeyBootstrap,
    TokenEndpointService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AccessTokenService],
})
export class AuthModule {}
