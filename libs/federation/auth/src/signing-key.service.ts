import { Inject, Injectable, Logger } from '@nestjs/common';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { AuditAction, AuditService, type AuditActor } from '@app/audit';
import { StartupError } from '@app/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { executeRows, Prisma, PrismaService, SigningKeyStatus, type SigningKey } from '@app/database';
import { DataKeyService, DecryptionError } from '@app/secrets';
import { advisoryLock } from './auth.sql.js';
import { ACCESS_TOKEN_ALGORITHM, KID_PATTERN, RETIRED_KEY_MARGIN_SECONDS, SIGNING_KEY_CACHE_MS } from './auth.constants.js';

/** Serializes creation and rotation across every process sharing the database. */
const SIGNING_KEY_LOCK = 4_471_525_102;

/** The key access tokens are signed with now. */
export interface Signer {
  kid: string;
  key: CryptoKey;
}

/** What a rotation did. */
export interface RotationResult {
  kid: string;
  retired: string[];
}

/** Rotation refused because the configured data key cannot open the current key. */
export class SigningKeyDecryptionError extends Error {
  constructor(readonly kid: string) {
    super(
      `the data key cannot decrypt signing key ${kid}: SIGFED_MASTER_KEY or DATA_DIR/master.key differs from the one ` +
        'the API uses. Run with the same settings, or, if that key is lost, pass --data-key-lost to replace the signing key',
    );
    this.name = 'SigningKeyDecryptionError';
  }
}

type PublishedSet = { loadedAt: number; keys: Map<string, { jwk: JWK; key: Promise<CryptoKey> }> };

const context = (kid: string) => `signing-key:${kid}`;

/**
 * The server's own Ed25519 token-signing keys, stored in `signing_keys` with
 * the private half sealed under the data key. Every process reads them from
 * the database and keeps a copy for SIGNING_KEY_CACHE_MS, so a rotation made
 * by the CLI reaches all API processes within that time.
 */
@Injectable()
export class SigningKeyService {
  private readonly logger = new Logger(SigningKeyService.name);
  private current: (Signer & { loadedAt: number }) | undefined;
  private published: PublishedSet | undefined;
  private lastForcedRefresh = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly dataKey: DataKeyService,
    private readonly audit: AuditService,
  ) {}

  /** Creates the first signing key when there is none (first start); a no-op afterwards. */
  async ensureCurrentKey(actor: AuditActor): Promise<void> {
    const created = await this.prisma.$transaction(async (tx) => {
      await executeRows(tx, advisoryLock, [SIGNING_KEY_LOCK]);
      if (await tx.signingKey.count({ where: { status: SigningKeyStatus.CURRENT } })) return undefined;
      const key = await this.createKey(tx);
      const dataKey = this.dataKey.describe();
      await this.audit.record(tx, {
        actor,
        action: AuditAction.SigningKeyCreated,
        target: { type: 'signing_key', id: key.kid },
        details: { alg: key.alg, dataKeySource: dataKey.source, dataKeyCreated: dataKey.created },
      });
      return key.kid;
    });
    if (created) this.logger.log(`generated the server's first token-signing key ${created}`);
  }

  /**
   * Makes a new CURRENT key and retires the old one. Tokens the old key
   * signed stay valid for their lifetime (it stays published). Refuses when
   * the data key cannot open the current key, unless `dataKeyLost`.
   */
  async rotate(actor: AuditActor, options: { dataKeyLost?: boolean } = {}): Promise<RotationResult> {
    const result = await this.prisma.$transaction(async (tx) => {
      await executeRows(tx, advisoryLock, [SIGNING_KEY_LOCK]);
      const old = await tx.signingKey.findMany({ where: { status: SigningKeyStatus.CURRENT } });
      if (!options.dataKeyLost) {
        for (const row of old) {
          try {
            this.dataKey.open(row.privateKeyEncrypted, context(row.kid));
          } catch (error) {
            if (error instanceof DecryptionError) throw new SigningKeyDecryptionError(row.kid);
            throw error;
          }
        }
      }
      await tx.signingKey.updateMany({
        where: { status: SigningKeyStatus.CURRENT },
        data: { status: SigningKeyStatus.RETIRED, retiredAt: new Date() },
      });
      const key = await this.createKey(tx);
      const retired = old.map((row) => row.kid);
      await this.audit.record(tx, {
        actor,
        action: AuditAction.SigningKeyRotated,
        target: { type: 'signing_key', id: key.kid },
        details: { retired, dataKeyLost: Boolean(options.dataKeyLost) },
      });
      return { kid: key.kid, retired };
    });
    this.current = undefined;
    this.published = undefined;
    return result;
  }

  /** The CURRENT key with its private half, for signing (cached briefly). */
  async signer(): Promise<Signer> {
    if (this.current && Date.now() - this.current.loadedAt < SIGNING_KEY_CACHE_MS) return this.current;
    const row = await this.prisma.signingKey.findFirst({
      where: { status: SigningKeyStatus.CURRENT },
      orderBy: { createdAt: 'desc' },
    });
    if (!row) throw new Error('no current signing key: the API creates one when it starts');
    if (this.current?.kid === row.kid) {
      this.current.loadedAt = Date.now();
      return this.current;
    }
    let jwk: JWK;
    try {
      jwk = JSON.parse(this.dataKey.open(row.privateKeyEncrypted, context(row.kid)).toString('utf8')) as JWK;
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      throw new StartupError(
        `cannot decrypt the current signing key ${row.kid}: the data key (SIGFED_MASTER_KEY or ${this.config.dataDir}/master.key) ` +
          'is not the one it was sealed with. Restore that key, or run `npm run cli -- rotate-signing-key --data-key-lost`',
      );
    }
    const key = (await importJWK(jwk, ACCESS_TOKEN_ALGORITHM)) as CryptoKey;
    this.current = { kid: row.kid, key, loadedAt: Date.now() };
    return this.current;
  }

  /**
   * The public key for `kid` if it is published (CURRENT, or RETIRED within
   * token lifetime + margin). An unknown kid triggers one early re-read (at
   * most once a second), so a key rotated in by another process verifies at once.
   */
  async verificationKey(kid: unknown): Promise<CryptoKey | undefined> {
    if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) return undefined;
    let entry = (await this.publishedSet()).keys.get(kid);
    if (!entry && Date.now() - this.lastForcedRefresh > 1_000) {
      this.lastForcedRefresh = Date.now();
      entry = (await this.publishedSet(true)).keys.get(kid);
    }
    return entry?.key;
  }

  /** The JWK Set published at /.well-known/jwks.json. */
  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: [...(await this.publishedSet()).keys.values()].map((entry) => entry.jwk) };
  }

  private async publishedSet(force = false): Promise<PublishedSet> {
    if (!force && this.published && Date.now() - this.published.loadedAt < SIGNING_KEY_CACHE_MS) return this.published;
    const horizon = new Date(Date.now() - (this.config.auth.accessTokenTtlSeconds + RETIRED_KEY_MARGIN_SECONDS) * 1000);
    const rows = await this.prisma.signingKey.findMany({
      where: {
        OR: [{ status: SigningKeyStatus.CURRENT }, { status: SigningKeyStatus.RETIRED, retiredAt: { gt: horizon } }],
      },
      orderBy: [{ status: 'asc' }, { createdAt: 'desc' }],
    });
    const keys = new Map(
      rows.map((row) => {
        const jwk = row.publicJwk as JWK;
        return [row.kid, { jwk, key: importJWK(jwk, ACCESS_TOKEN_ALGORITHM) as Promise<CryptoKey> }] as const;
      }),
    );
    this.published = { loadedAt: Date.now(), keys };
    return this.published;
  }

  private async createKey(tx: Prisma.TransactionClient): Promise<SigningKey> {
    const pair = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, { crv: 'Ed25519', extractable: true });
    const publicPart = await exportJWK(pair.publicKey);
    const kid = await calculateJwkThumbprint(publicPart);
    const publicJwk = { ...publicPart, kid, alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' };
    const privateJwk = { ...(await exportJWK(pair.privateKey)), kid, alg: ACCESS_TOKEN_ALGORITHM };
    const sealed = this.dataKey.seal(Buffer.from(JSON.stringify(privateJwk), 'utf8'), context(kid));
    return tx.signingKey.create({
      data: {
        kid,
        alg: ACCESS_TOKEN_ALGORITHM,
        publicJwk,
        privateKeyEncrypted: new Uint8Array(sealed),
        status: SigningKeyStatus.CURRENT,
      },
    });
  }
}
