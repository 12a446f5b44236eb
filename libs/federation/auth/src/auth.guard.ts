import { ForbiddenException, Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { IS_PUBLIC, operationCostOf, REQUIRED_ROLES, requestOf, setRequestBudget, type AccessRole } from '@app/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import type { MemberRole } from '@app/database';
import { RedisService } from '@app/redis';
import { RateLimitError, RateLimitErrorCode, RateLimitService, type Budget } from '@app/rate-limit';
import { AccessTokenService } from './access-token.service.js';
import { AuthError, AuthErrorCode } from './auth.error.js';
import { authenticatedMemberOf, setAuthenticatedMember, type AuthenticatedMember } from './authenticated-member.js';
import { MemberStateCache } from './member-state.cache.js';

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
    private readonly redis: RedisService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const http = context.getType<string>() === 'http';
    try {
      const member = await this.authenticate(requestOf(context));
      const roles = this.reflector.getAllAndOverride<AccessRole[] | undefined>(REQUIRED_ROLES, targets);
      if (roles && !roles.includes(member.role)) throw new AuthError(AuthErrorCode.RoleRequired);
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
    if (!header) throw new AuthError(AuthErrorCode.TokenMissing);
    const match = BEARER.exec(header);
    if (!match) throw new AuthError(AuthErrorCode.TokenInvalid);
    const claims = await this.tokens.claimsOf(match[1]);
    // The member's change counter comes back with the rate-limit charge (one Redis round trip for both),
    // so the member/key check needs no database query while nothing changed (MemberStateCache).
    // Charged before that check: a suspended member's refused requests spend its own budget only.
    const charge = await this.charge(req, claims.sub);
    const epoch = charge ? charge.budget.read : await this.epochOf(claims.sub);
    const member = await this.tokens.admit(claims, epoch);
    setAuthenticatedMember(req, member);
    if (charge) this.enforce(req, charge);
    return member;
  }

  /** The member's change counter when no charge read it (a request that carries no cost). */
  private epochOf(memberId: string): Promise<string | null | undefined> {
    return this.redis.get(MemberStateCache.epochKey(memberId)).catch(() => undefined);
  }

  /**
   * Charges a GraphQL operation's cost (computed before any resolver: by the
   * query-limits plugin over HTTP, by WebSocketOperations for a subscription
   * over graphql-ws) to the member's budget, and reads the member's change
   * counter in the same call. Plain HTTP routes carry no cost (undefined).
   */
  private async charge(req: Request, memberId: string): Promise<{ cost: number; budget: Budget } | undefined> {
    const cost = operationCostOf(req);
    if (cost === undefined) return undefined;
    const { points, windowSeconds } = this.config.rateLimit;
    const budget = await this.rateLimits.charge(
      `q:{${memberId}}`,
      cost,
      points,
      windowSeconds * 1_000,
      MemberStateCache.epochKey(memberId),
    );
    return { cost, budget };
  }

  /** Says where the budget stands in RateLimit headers, and refuses the request when it is spent. */
  private enforce(req: Request, { cost, budget }: { cost: number; budget: Budget }): void {
    const { points, windowSeconds } = this.config.rateLimit;
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
