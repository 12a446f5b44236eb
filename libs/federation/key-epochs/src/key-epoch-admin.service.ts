import { Inject, Injectable } from '@nestjs/common';
import { ristretto255_oprf } from '@noble/curves/ed25519.js';
import { AuditAction, AuditService, type AuditActor } from '@app/audit';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { KeyEpochScheme, PrismaService, queryRows, type KeyEpoch } from '@app/database';
import { OutboxService } from '@app/outbox';
import { JobName } from '@app/queue';
import { KEY_EPOCH_PATTERN } from '@app/sdk';
import { DataKeyService } from '@app/secrets';
import { KeyEpochError, KeyEpochErrorCode } from './key-epoch.error.js';
import { keyEpochStatus, type OprfKeyStatus } from './key-epoch-status.js';
import { labelsInUse } from './key-epochs.sql.js';
import { OPRF_MODE, OPRF_SUITE, toBase64Url } from './oprf-suite.js';

/** The context the data key binds an epoch's sealed OPRF secret to. */
export const oprfKeyContext = (label: string) => `oprf-key:${label}`;

/** What `create-key-epoch` asks for. */
export interface NewKeyEpoch {
  label: string;
  scheme: KeyEpochScheme;
  notBefore: Date;
  notAfter: Date;
}

/** An epoch as operators see it: never its secret. */
export interface KeyEpochSummary {
  label: string;
  scheme: KeyEpochScheme;
  status: OprfKeyStatus;
  notBefore: Date;
  notAfter: Date;
  retiredAt: Date | null;
  /** Base64url public key of a TWO_KEY epoch. */
  publicKey: string | null;
}

/**
 * Operators' key-epoch commands (CLI, as the tables' owner): create an epoch
 * (a TWO_KEY one generates its POPRF key here, sealed under the data key
 * before it is stored; the secret never leaves this process otherwise),
 * list them, retire one.
 */
@Injectable()
export class KeyEpochAdminService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly dataKey: DataKeyService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
  ) {}

  /** Creates an epoch; audited `key_epoch.created`. Refuses a label in use or a window that ends before it starts. */
  async create(actor: AuditActor, input: NewKeyEpoch): Promise<KeyEpochSummary> {
    if (!KEY_EPOCH_PATTERN.test(input.label)) {
      throw new KeyEpochError(KeyEpochErrorCode.Invalid, `epoch label "${input.label}" must match ^[a-z0-9][a-z0-9._-]{0,31}$`);
    }
    for (const [name, value] of [
      ['not-before', input.notBefore],
      ['not-after', input.notAfter],
    ] as const) {
      if (Number.isNaN(value.getTime()))
        throw new KeyEpochError(KeyEpochErrorCode.Invalid, `--${name} is not a date and time (ISO 8601, e.g. 2027-01-01T00:00:00Z)`);
    }
    if (input.notAfter <= input.notBefore) {
      throw new KeyEpochError(
        KeyEpochErrorCode.Invalid,
        `--not-after (${input.notAfter.toISOString()}) must be later than --not-before (${input.notBefore.toISOString()})`,
      );
    }
    const keys = input.scheme === KeyEpochScheme.TWO_KEY ? ristretto255_oprf.poprf(new Uint8Array()).generateKeyPair() : undefined;
    const row = await this.prisma.$transaction(async (tx) => {
      if (await tx.keyEpoch.findUnique({ where: { label: input.label }, select: { label: true } })) {
        throw new KeyEpochError(KeyEpochErrorCode.Exists, `key epoch "${input.label}" exists already; labels are never reused`);
      }
      const created = await tx.keyEpoch.create({
        data: {
          label: input.label,
          scheme: input.scheme,
          notBefore: input.notBefore,
          notAfter: input.notAfter,
          ...(keys
            ? {
                suite: OPRF_SUITE,
                mode: OPRF_MODE,
                publicKey: new Uint8Array(keys.publicKey),
                secretKeyEncrypted: new Uint8Array(this.dataKey.seal(Buffer.from(keys.secretKey), oprfKeyContext(input.label))),
              }
            : {}),
        },
      });
      keys?.secretKey.fill(0);
      await this.audit.record(tx, {
        actor,
        action: AuditAction.KeyEpochCreated,
        target: { type: 'key_epoch', id: created.label },
        details: {
          scheme: created.scheme,
          notBefore: created.notBefore.toISOString(),
          notAfter: created.notAfter.toISOString(),
          ...(created.publicKey ? { suite: OPRF_SUITE, mode: OPRF_MODE, publicKey: toBase64Url(created.publicKey) } : {}),
        },
      });
      return created;
    });
    return this.summary(row);
  }

  /** Every epoch, oldest window first. */
  async list(now = new Date()): Promise<KeyEpochSummary[]> {
    const rows = await this.prisma.keyEpoch.findMany({ orderBy: [{ notBefore: 'asc' }, { label: 'asc' }] });
    return rows.map((row) => this.summary(row, now));
  }

  /** Labels stored indicators carry that no epoch has: create HMAC epochs for them before the first TWO_KEY one. */
  async labelsWithoutEpoch(): Promise<string[]> {
    const [inUse, epochs] = await Promise.all([
      queryRows(this.prisma, labelsInUse, []),
      this.prisma.keyEpoch.findMany({ select: { label: true } }),
    ]);
    const known = new Set(epochs.map((e) => e.label));
    return inUse.map((r) => r.label).filter((label) => !known.has(label));
  }

  /**
   * Retires an epoch now: evaluateBlinded refuses it from then on, and its
   * tokens stop matching (the worker closes the alerts under it,
   * KEY_EPOCH_RETIRED, through `key_epoch.retired` in the same transaction).
   * Audited `key_epoch.retired`.
   */
  async retire(actor: AuditActor, label: string): Promise<KeyEpochSummary> {
    return this.prisma.$transaction(async (tx) => {
      const existing = await tx.keyEpoch.findUnique({ where: { label } });
      if (!existing) throw new KeyEpochError(KeyEpochErrorCode.NotFound, `no key epoch "${label}" (list-key-epochs shows them)`);
      if (existing.retiredAt) return this.summary(existing);
      const row = await tx.keyEpoch.update({ where: { label }, data: { retiredAt: new Date() } });
      await this.audit.record(tx, {
        actor,
        action: AuditAction.KeyEpochRetired,
        target: { type: 'key_epoch', id: label },
        details: { scheme: row.scheme },
      });
      await this.outbox.publish(tx, 'key_epoch.retired', { label });
      return this.summary(row);
    });
  }

  private summary(row: KeyEpoch, now = new Date()): KeyEpochSummary {
    return {
      label: row.label,
      scheme: row.scheme,
      status: keyEpochStatus(row, this.config.oprf.retiringDays, now),
      notBefore: row.notBefore,
      notAfter: row.notAfter,
      retiredAt: row.retiredAt,
      publicKey: row.publicKey ? toBase64Url(row.publicKey) : null,
    };
  }
}
