import { ForbiddenException, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { IS_PUBLIC, REQUIRED_ROLES, requestOf, type AccessRole } from '@app/common';
import type { MemberRole } from '@app/database';
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
 * one verification.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly pending = new WeakMap<Request, Promise<AuthenticatedMember>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokenService,
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
    return member;
  }
}
