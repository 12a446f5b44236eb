import { SetMetadata } from '@nestjs/common';

/** Metadata key: the handler or controller needs no access token. */
export const IS_PUBLIC = 'sigfed:public';
/** Metadata key: the roles allowed to call the handler. */
export const REQUIRED_ROLES = 'sigfed:roles';

/** A member's role as the access rules name it (the same values as the database's MemberRole). */
export type AccessRole = 'MEMBER' | 'ADMIN';

/**
 * Marks an operation or controller as callable without an access token. The
 * global AuthGuard (libs/federation/auth) refuses everything else unauthenticated, so
 * public operations are explicit and greppable.
 */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/**
 * Restricts an operation to members holding one of `roles`; others get
 * FORBIDDEN. Resolvers never check roles themselves.
 */
export const Roles = (...roles: [AccessRole, ...AccessRole[]]) => SetMetadata(REQUIRED_ROLES, roles);
