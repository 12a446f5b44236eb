import {
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { IS_PUBLIC, operationCostOf, REQUIRED_ROLES, requestOf, setRequestBudget, type AccessRole } from '@app/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import type { MemberRole } from '@app/database';
import { RateLimitError, RateLimitErrorCode, RateLimitService } from '@app/rate-limit';
import { AccessTokenService } from './access-token.service.js';
import { AuthError, AuthErrorCode } from './auth.error.js';
import { authenticatedMemberOf, setAuthenticatedMember, type AuthenticatedMember } from './authenticated-member.js';

// The decorators' role names and the database's must be the same set.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const rolesAgree: Same<AccessRole, MemberRole> = true;
void rolesAgree;

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;

/**
 * The one access decision for every HTTP route and GraphQL operation
 * (registered as APP_GUARD): @Public() passes; everything else needs a valid
 * bearer token of an active member with an unrevoked key, and @Roles(...)
 * further needs one of those roles. Operations of one GraphQL request share
 * one verification, and one charge of the request's cost against the
 * member's rate-limit budget (in Redis, so it holds across API processes).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly pending = new WeakMap<Request, Promise<AuthenticatedMember>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokenService,
    private readonly rateLimits: RateLimitService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const http = context.getType<string>() === 'http';
    try {
      const member = await this.authenticate(requestOf(context));
      const roles = this.reflector.getAllAndOverride<AccessRole[] | undefined>(REQUIRED_ROLES, targets);
      if (roles && !roles.includes(member.role)) throw new AuthError(AuthErrorCode.ROLE_REQUIRED);
      return true;
    } catch (error) {
      // Plain HTTP routes answer with a status code rather than a GraphQL error.
      if (http && error instanceof AuthError) {
        throw error.graphqlCode === 'FORBIDDEN' ? new ForbiddenException(error.message) : new UnauthorizedException(error.message);
      }
      throw error;
    }
  }

  private authenticate(req: Request): Promise<AuthenticatedMember> {
    const known = authenticatedMemberOf(req);
    if (known) return Promise.resolve(known);
    let pending = this.pending.get(req);
    if (!pending) {
      pending = this.verify(req);
      this.pending.set(req, pending);
    }
    return pending;
  }

  private async verify(req: Request): Promise<AuthenticatedMember> {
    const header = req.headers.authorization;
    if (!header) throw new AuthError(AuthErrorCode.TOKEN_MISSING);
    const match = BEARER.exec(header);
    if (!match) throw new AuthError(AuthErrorCode.TOKEN_INVALID);
    const member = await this.tokens.verify(match[1]);
    setAuthenticatedMember(req, member);
    await this.charge(req, member);
    return member;
  }

  /**
   * Charges a GraphQL-over-HTTP request's operation cost (computed by the
   * query-limits plugin before any resolver) to the member's budget, and
   * says where the budget stands in RateLimit headers. Subscriptions over
   * WebSocket carry no cost and are not charged here.
   */
  private async charge(req: Request, member: AuthenticatedMember): Promise<void> {
    const cost = operationCostOf(req);
    if (cost === undefined) return;
    const { points, windowSeconds } = this.config.rateLimit;
    const budget = await this.rateLimits.charge(`q:${member.id}`, cost, points, windowSeconds * 1_000);
    const reset = Math.max(Math.ceil((budget.resetAt.getTime() - Date.now()) / 1_000), 0);
    setRequestBudget(req, { cost, limit: budget.limit, remaining: budget.remaining, resetAt: budget.resetAt });
    const res = (req as Request & { res?: Response }).res;
    if (res && !res.headersSent) {
      res.setHeader('RateLimit-Policy', `${points};w=${windowSeconds}`);
      res.setHeader('RateLimit', `limit=${points}, remaining=${budget.remaining}, reset=${reset}`);
      if (!budget.allowed) res.setHeader('Retry-After', String(reset));
    }
    if (!budget.allowed) {
      throw new RateLimitError(
        RateLimitErrorCode.RequestBudget,
        `Rate limit: this operation costs ${cost} and ${budget.remaining} of ${points} points remain until ${budget.resetAt.toISOString()}`,
        { cost, limit: points, remaining: budget.remaining, resetAt: budget.resetAt.toISOString(), retryAfterSeconds: reset },
      );
    }
  }
}
