import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { executeRows, PrismaService } from '@app/database';
import { DataKeyService } from '@app/secrets';
import { ed25519PrivateKey } from './delivery/signing.js';
import type { WebhookSigningKey } from './models/webhook-endpoint.model.js';
import { advisoryLock } from './webhooks.sql.js';

/** Serializes creation of the first webhook-signing key across processes. */
const SIGNING_KEY_LOCK = 4_471_525_150;

const secretContext = (endpointId: string) => `webhook-secret:${endpointId}`;
const keyContext = (kid: string) => `webhook-signing-key:${kid}`;

/** The secrets of one endpoint as stored. */
export interface StoredSecrets {
  id: string;
  secretEncrypted: Uint8Array;
  previousSecretEncrypted: Uint8Array | null;
  previousSecretExpiresAt: Date | null;
}

/**
 * Key material of webhooks: endpoint secrets sealed under the data key
 * (they must still sign, so they cannot be hashed), and the server's Ed25519
 * key for `v1a` signatures, created on first use and published through
 * `webhookSigningKeys`.
 */
@Injectable()
export class WebhookKeysService {
  private readonly logger = new Logger(WebhookKeysService.name);
  private signer: Promise<{ kid: string; key: KeyObject }> | undefined;

  constructor(
    private readonly prisma: PrismaService,
    private readonly dataKey: DataKeyService,
  ) {}

  /** Seals an endpoint secret; only this endpoint's id opens it again. */
  seal(endpointId: string, secret: string): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.dataKey.seal(Buffer.from(secret, 'utf8'), secretContext(endpointId)));
  }

  /** The secrets that sign now: the current one, and the previous one while its grace period lasts. */
  secretsInForce(endpoint: StoredSecrets, now = new Date()): string[] {
    const open = (sealed: Uint8Array) => this.dataKey.open(sealed, secretContext(endpoint.id)).toString('utf8');
    const secrets = [open(endpoint.secretEncrypted)];
    if (endpoint.previousSecretEncrypted && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) {
      secrets.push(open(endpoint.previousSecretEncrypted));
    }
    return secrets;
  }

  /** The server's Ed25519 signing key (created on first use), cached for the process's life. */
  signingKey(): Promise<{ kid: string; key: KeyObject }> {
    this.signer ??= this.loadSigningKey().catch((error: unknown) => {
      this.signer = undefined;
      throw error;
    });
    return this.signer;
  }

  /** The published public keys, oldest first (creating the first one if there is none). */
  async publicKeys(): Promise<WebhookSigningKey[]> {
    await this.signingKey();
    const rows = await this.prisma.webhookSigningKey.findMany({ orderBy: { createdAt: 'asc' } });
    return rows.map((row) => ({
      kid: row.kid,
      publicKey: `whpk_${Buffer.from(row.publicKey).toString('base64')}`,
      createdAt: row.createdAt,
    }));
  }

  private async loadSigningKey(): Promise<{ kid: string; key: KeyObject }> {
    const row = await this.prisma.$transaction(async (tx) => {
      await executeRows(tx, advisoryLock, [SIGNING_KEY_LOCK]);
      const existing = await tx.webhookSigningKey.findFirst({ orderBy: { createdAt: 'desc' } });
      if (existing) return existing;
      const { privateKey } = generateKeyPairSync('ed25519');
      const raw = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32);
      const kid = `whk_${createHash('sha256').update(raw).digest('base64url').slice(0, 22)}`;
      const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
      this.logger.log(`generated the server's webhook-signing key ${kid}`);
      return tx.webhookSigningKey.create({
        data: {
          kid,
          publicKey: new Uint8Array(raw),
          privateKeyEncrypted: new Uint8Array(this.dataKey.seal(pkcs8, keyContext(kid))),
        },
      });
    });
    return { kid: row.kid, key: ed25519PrivateKey(this.dataKey.open(row.privateKeyEncrypted, keyContext(row.kid))) };
  }
}
