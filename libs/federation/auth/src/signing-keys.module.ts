import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { SecretsModule } from '@app/secrets';
import { SigningKeyService } from './signing-key.service.js';

/** The server's token-signing keys, without the HTTP parts (the CLI uses it to rotate). */
@Module({
  imports: [SecretsModule, AuditModule],
  providers: [SigningKeyService],
  exports: [SigningKeyService],
})
export class SigningKeysModule {}
