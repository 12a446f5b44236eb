import { Module } from '@nestjs/common';
import { DataKeyService } from './data-key.service.js';

/** The data-encryption key for secrets at rest. */
@Module({
  providers: [DataKeyService],
  exports: [DataKeyService],
})
export class SecretsModule {}
