import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditAction, AuditService, memberActor } from '@app/audit';
import type { AuthenticatedMember } from '@app/auth';
import { InputValidationError } from '@app/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { PrismaService, queryRows, WebhookEndpointStatus, type Prisma } from '@app/database';
import { AddressPolicy, hasUserinfo } from './delivery/address-policy.js';
import { newWebhookSecret } from './delivery/signing.js';
import type { CreateWebhookEndpointInput, UpdateWebhookEndpointInput } from './dto/webhook-endpoint.input.js';
import type { WebhookEndpoint, WebhookEndpointWithSecret, WebhookSigningKey } from './models/webhook-endpoint.model.js';
import { WebhookError, WebhookErrorCode } from './webhook.error.js';
import { WebhookKeysService } from './webhook-keys.service.js';
import { toEndpointView } from './webhook-views.js';
import { MAX_ENDPOINTS_PER_MEMBER } from './webhooks.constants.js';
import { lockEndpoint, lockMember } from './webhooks.sql.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What the audit log keeps of a URL: scheme, host and port (paths and queries may carry tokens). */
function origin(url: string): string {
  return new URL(url).origin;
}

/** A member's webhook endpoints: registration, changes, secret rotation. */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly keys: WebhookKeysService,
    private readonly policy: AddressPolicy,
  ) {}

  /** The member's endpoints, oldest first. */
  async list(memberId: string): Promise<WebhookEndpoint[]> {
    const rows = await this.prisma.asMember(memberId, (tx) =>
      tx.webhookEndpoint.findMany({ where: { memberId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }),
    );
    return rows.map((row) => toEndpointView(row));
  }

  /** Registers an endpoint and returns it with its secret (shown this once). */
  async create(member: AuthenticatedMember, input: CreateWebhookEndpointInput, requestId?: string): Promise<WebhookEndpointWithSecret> {
    const url = await this.destination(input.url);
    const id = randomUUID();
    const secret = newWebhookSecret();
    return this.prisma.asMember(member.id, async (tx) => {
      // Serializes concurrent creations of one member, so the limit holds.
      await queryRows(tx, lockMember, [member.id]);
      if ((await tx.webhookEndpoint.count({ where: { memberId: member.id } })) >= MAX_ENDPOINTS_PER_MEMBER) {
        throw new WebhookError(
          WebhookErrorCode.TooManyEndpoints,
          `A member may register at most ${MAX_ENDPOINTS_PER_MEMBER} webhook endpoints; delete one first`,
        );
      }
      const row = await tx.webhookEndpoint.create({
        data: {
          id,
          memberId: member.id,
          url,
          description: input.description || null,
          eventTypes: input.eventTypes,
          asymmetricSignature: input.asymmetricSignature ?? false,
          secretEncrypted: this.keys.seal(id, secret),
        },
      });
      await this.audit.record(tx, {
        actor: memberActor(member),
        action: AuditAction.WebhookEndpointCreated,
        target: { type: 'webhook_endpoint', id },
        requestId,
        details: { origin: origin(url), eventTypes: input.eventTypes },
      });
      return { endpoint: toEndpointView(row), secret };
    });
  }

  /** Changes URL, label, event types, signing or enabled state; enabling clears the failure state. */
  async update(member: AuthenticatedMember, id: string, input: UpdateWebhookEndpointInput, requestId?: string): Promise<WebhookEndpoint> {
    const url = typeof input.url === 'string' ? await this.destination(input.url) : undefined;
    return this.prisma.asMember(member.id, async (tx) => {
      await this.owned(tx, member.id, id);
      const data: Prisma.WebhookEndpointUpdateInput = {};
      if (url !== undefined) data.url = url;
      if (input.description !== undefined && input.description !== null) data.description = input.description || null;
      if (input.eventTypes) data.eventTypes = input.eventTypes;
      if (typeof input.asymmetricSignature === 'boolean') data.asymmetricSignature = input.asymmetricSignature;
      if (input.enabled === true) {
        Object.assign(data, { status: WebhookEndpointStatus.ENABLED, failingSince: null, disabledAt: null, disabledReason: null });
      } else if (input.enabled === false) {
        Object.assign(data, { status: WebhookEndpointStatus.DISABLED, disabledAt: new Date(), disabledReason: 'disabled by its member' });
      }
      const row = await tx.webhookEndpoint.update({ where: { id }, data });
      await this.audit.record(tx, {
        actor: memberActor(member),
        action: AuditAction.WebhookEndpointUpdated,
        target: { type: 'webhook_endpoint', id },
        requestId,
        details: {
          changed: Object.keys(input).filter((k) => input[k as keyof UpdateWebhookEndpointInput] != null),
          ...(url !== undefined ? { origin: origin(url) } : {}),
        },
      });
      return toEndpointView(row);
    });
  }

  /**
   * Issues a new secret. The previous one keeps signing beside it for
   * WEBHOOK_SECRET_GRACE_SECONDS, so receivers can switch without a gap.
   */
  async rotateSecret(member: AuthenticatedMember, id: string, requestId?: string): Promise<WebhookEndpointWithSecret> {
    const secret = newWebhookSecret();
    const grace = this.config.webhooks.secretGraceSeconds;
    return this.prisma.asMember(member.id, async (tx) => {
      const current = await this.owned(tx, member.id, id);
      const row = await tx.webhookEndpoint.update({
        where: { id },
        data: {
          secretEncrypted: this.keys.seal(id, secret),
          previousSecretEncrypted: grace > 0 ? current.secretEncrypted : null,
          previousSecretExpiresAt: grace > 0 ? new Date(Date.now() + grace * 1000) : null,
        },
      });
      await this.audit.record(tx, {
        actor: memberActor(member),
        action: AuditAction.WebhookSecretRotated,
        target: { type: 'webhook_endpoint', id },
        requestId,
        details: { graceSeconds: grace },
      });
      return { endpoint: toEndpointView(row), secret };
    });
  }

  /** Deletes an endpoint and its deliveries. */
  async delete(member: AuthenticatedMember, id: string, requestId?: string): Promise<boolean> {
    return this.prisma.asMember(member.id, async (tx) => {
      const row = await this.owned(tx, member.id, id);
      await tx.webhookEndpoint.delete({ where: { id } });
      await this.audit.record(tx, {
        actor: memberActor(member),
        action: AuditAction.WebhookEndpointDeleted,
        target: { type: 'webhook_endpoint', id },
        requestId,
        details: { origin: origin(row.url) },
      });
      return true;
    });
  }

  /** The server's public keys for `v1a` signatures. */
  signingKeys(): Promise<WebhookSigningKey[]> {
    return this.keys.publicKeys();
  }

  /** The member's endpoint, row-locked; NOT_FOUND for anything else. */
  private async owned(tx: Prisma.TransactionClient, memberId: string, id: string) {
    if (!UUID.test(id)) throw endpointNotFound();
    const [locked] = await queryRows(tx, lockEndpoint, [id, memberId]);
    if (!locked) throw endpointNotFound();
    return tx.webhookEndpoint.findUniqueOrThrow({ where: { id } });
  }

  /**
   * The URL as it will be stored and used: serialized by the URL parser, so
   * what was checked is what every later reader parses. BAD_USER_INPUT naming
   * `url` when it carries credentials, or its form or current addresses are refused.
   */
  private async destination(text: string): Promise<string> {
    if (hasUserinfo(text)) {
      throw new InputValidationError([
        {
          field: 'input.url',
          rule: 'noCredentials',
          message: 'url must not contain credentials (user:password@); put a token in the path or query instead',
        },
      ]);
    }
    const problem = await this.policy.inspect(text);
    if (problem) throw new InputValidationError([{ field: 'input.url', rule: 'webhookDestination', message: `url ${problem}` }]);
    const url = new URL(text).href;
    if (url.length > 2048) {
      throw new InputValidationError([
        { field: 'input.url', rule: 'maxLength', message: 'url must be at most 2048 characters once normalized' },
      ]);
    }
    return url;
  }
}

/** NOT_FOUND for an endpoint that is not the caller's. */
export function endpointNotFound(): WebhookError {
  return new WebhookError(WebhookErrorCode.EndpointNotFound, 'webhook endpoint not found');
}
