import type { JsonObject } from '@app/common';
import type { Prisma } from '@app/database';
import type { Member, MemberKey } from './models/member.model.js';

/** The columns the MemberKey type shows. */
export const KEY_SELECT = {
  kid: true,
  alg: true,
  status: true,
  publicJwk: true,
  createdAt: true,
  revokedAt: true,
  lastUsedAt: true,
} as const satisfies Prisma.MemberKeySelect;

/** The columns the Member type shows, keys included (one extra query for all of a page's keys). */
export const MEMBER_SELECT = {
  id: true,
  clientId: true,
  name: true,
  contactEmail: true,
  status: true,
  role: true,
  suspendedAt: true,
  suspendedReason: true,
  indicatorsPerHour: true,
  createdAt: true,
  keys: { select: KEY_SELECT, orderBy: [{ createdAt: 'asc' }, { kid: 'asc' }] },
} as const satisfies Prisma.MemberSelect;

export type MemberRow = Prisma.MemberGetPayload<{ select: typeof MEMBER_SELECT }>;
type KeyRow = Prisma.MemberKeyGetPayload<{ select: typeof KEY_SELECT }>;

/** A member key row as the GraphQL type. */
export function toMemberKey(row: KeyRow): MemberKey {
  return { ...row, publicJwk: row.publicJwk as JsonObject };
}

/** A member row as the GraphQL type. */
export function toMember(row: MemberRow): Member {
  return { ...row, keys: row.keys.map(toMemberKey) };
}
