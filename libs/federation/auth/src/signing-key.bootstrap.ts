import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { SYSTEM_ACTOR } from '@app/audit';
import { SigningKeyService } from './signing-key.service.js';

/**
 * At API start: creates the first signing key on a fresh database, and
 * proves the current one decrypts, so a wrong data key stops the start with
 * one clear line instead of failing every token request.
 */
@Injectable()
export class SigningKeyBootstrap implements OnApplicationBootstrap {
  constructor(private readonly keys: SigningKeyService) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.keys.ensureCurrentKey(SYSTEM_ACTOR);
    await this.keys.signer();
  }
}
