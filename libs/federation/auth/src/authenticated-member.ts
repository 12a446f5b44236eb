import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { requestOf } from '@app/common';
import type { MemberRole } from '@app/database';

/** The caller of an authenticated operation, as the access token and the database say now. */
export interface AuthenticatedMember {
  /** Member id (the token's `sub`). */
  id: string;
  clientId: string;
  /** The member's role as stored now (not as when the token was issued). */
  role: MemberRole;
  /** kid of the member key the token was obtained with. */
  keyId: string;
  /** The access token's `jti`. */
  tokenId: string;
}

const verified = new WeakMap<Request, AuthenticatedMember>();

/** Remembers who the guard authenticated for this request. */
export function setAuthenticatedMember(req: Request, member: AuthenticatedMember): void {
  verified.set(req, member);
}

/** Who the guard authenticated for this request, if anyone. */
export function authenticatedMemberOf(req: Request): AuthenticatedMember | undefined {
  return verified.get(req);
}

/**
 * Parameter decorator: the authenticated member. Only on operations that are
 * not @Public() (the guard has then authenticated the caller).
 */
export const CurrentMember = createParamDecorator((_data: unknown, context: ExecutionContext): AuthenticatedMember => {
  const member = authenticatedMemberOf(requestOf(context));
  if (!member) throw new Error('@CurrentMember() used on an operation the AuthGuard did not authenticate');
  return member;
});
