import { createHash, randomBytes } from 'node:crypto';

/** Invitation tokens: `sfinv_` and 43 base64url characters (32 random bytes). */
export const INVITATION_TOKEN_PATTERN = /^sfinv_[A-Za-z0-9_-]{43}$/;

/** A new client id: `sf_` and 16 random bytes in base64url (22 characters). */
export function newClientId(): string {
  return `sf_${randomBytes(16).toString('base64url')}`;
}

/** A new one-time invitation token; only its hash is stored. */
export function newInvitationToken(): string {
  return `sfinv_${randomBytes(32).toString('base64url')}`;
}

/** SHA-256 of an invitation token, as stored in invitations.token_hash. */
export function hashInvitationToken(token: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(token, 'utf8').digest());
}
