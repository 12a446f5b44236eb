import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { decrypt, encrypt, loadDataKey, type DataKeySource } from './data-key.js';

/**
 * The server's data-encryption key, loaded once per process, and the
 * AES-256-GCM seal/open operations over it. Signing keys (and later webhook
 * secrets) are stored only as ciphertext under this key.
 */
@Injectable()
export class DataKeyService implements OnModuleInit {
  private readonly logger = new Logger(DataKeyService.name);
  private key: Buffer | undefined;
  private origin: { source: DataKeySource; path?: string; created: boolean } | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  onModuleInit(): void {
    const loaded = loadDataKey(this.config.auth.masterKey, this.config.dataDir);
    this.key = loaded.key;
    this.origin = { source: loaded.source, path: loaded.path, created: loaded.created };
    if (loaded.created) this.logger.warn(`created a new data key at ${loaded.path}: back it up (docs/authentication.md)`);
    if (loaded.warning) this.logger.warn(loaded.warning);
  }

  /** Where the key came from, and whether this process created it (for audit details and CLI messages). */
  describe(): { source: DataKeySource; path?: string; created: boolean } {
    return { ...this.loaded().origin };
  }

  /** Seals `plaintext`; `context` (e.g. `signing-key:<kid>`) must be given again to open it. */
  seal(plaintext: Buffer, context: string): Buffer {
    return encrypt(this.loaded().key, plaintext, context);
  }

  /** Opens a sealed value; throws DecryptionError under another key or context. */
  open(sealed: Uint8Array, context: string): Buffer {
    return decrypt(this.loaded().key, sealed, context);
  }

  private loaded(): { key: Buffer; origin: NonNullable<DataKeyService['origin']> } {
    if (!this.key || !this.origin) throw new Error('DataKeyService used before module initialisation');
    return { key: this.key, origin: this.origin };
  }
}
