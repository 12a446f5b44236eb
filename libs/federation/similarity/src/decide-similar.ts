import type { AlertEventType } from '@app/correlation';

/** Why a SIMILAR alert closes (alerts.close_reason), as for EXACT alerts: the cause of the pass that closes it. */
export type SimilarCloseReason = 'NOT_MATCHED' | 'SUPPRESSED' | 'QUARANTINED' | 'KEY_EPOCH_RETIRED';

/** The share of agreeing bands estimates s^4 (see estimatedJaccard). */
export const ROWS_PER_BAND = 4;
export const BANDS = 32;

/**
 * The Jaccard similarity two minhash-v1 signatures' templates are estimated
 * to have, from the number of band tokens they share: each band agrees when
 * all 4 of its MinHash values agree, which happens with probability s^4 for
 * Jaccard similarity s, so shared/32 estimates s^4 and s ≈ (shared/32)^(1/4).
 * Bands ignored as boilerplate or suppressed do not count, so this is a lower
 * estimate. Rounded to 3 decimals.
 */
export function estimatedJaccard(sharedBands: number): number {
  const share = Math.min(Math.max(sharedBands, 0), BANDS) / BANDS;
  return Math.round(share ** (1 / ROWS_PER_BAND) * 1000) / 1000;
}

/** The signature being judged, and its similar match and alert before this pass. */
export interface SimilarBefore {
  matchId: string;
  memberId: string;
  /** Unexpired, and its member is active. */
  live: boolean;
  status: 'OPEN' | 'CLOSED' | 'COMMON';
  holderCount: number;
  bestShared: number;
  version: number;
  alert: { id: string; status: 'OPEN' | 'CLOSED'; otherHolders: number; similarity: number | null; version: number } | null;
}

/** One other member's signature that shares enough usable bands with it. */
export interface SimilarOther {
  signatureId: string;
  memberId: string;
  shared: number;
}

/** What to write for one similar match. */
export interface SimilarPlan {
  match: {
    id: string;
    status: 'OPEN' | 'CLOSED';
    holderCount: number;
    bestShared: number;
    similarIds: string[];
    version: number;
    changed: boolean;
  };
  create: { memberId: string; otherHolders: number; similarity: number } | null;
  update: {
    id: string;
    status: 'OPEN' | 'CLOSED';
    otherHolders: number;
    similarity: number | null;
    version: number;
    type: AlertEventType;
    /** Null while open. */
    closeReason: SimilarCloseReason | null;
  } | null;
}

/**
 * Pure decision for one member's signature: from the other members'
 * signatures similar to it now, its similar match's state and its member's
 * alert. OPEN while the signature is live and, counting its own member, at
 * least `minMembers` (MATCH_MIN_MEMBERS) distinct members hold similar ones.
 * An alert that closes takes `closeReason`, the cause of this pass
 * (NOT_MATCHED for retraction, expiry and suspension).
 */
export function decideSimilar(
  before: SimilarBefore,
  others: SimilarOther[],
  minMembers: number,
  closeReason: SimilarCloseReason = 'NOT_MATCHED',
): SimilarPlan {
  const counted = before.live ? others : [];
  const members = new Set(counted.map((o) => o.memberId));
  const holderCount = counted.length ? members.size + 1 : 0;
  const bestShared = counted.reduce((best, o) => Math.max(best, o.shared), 0);
  const status = before.live && holderCount >= minMembers ? 'OPEN' : 'CLOSED';
  const changed =
    status !== before.status || (status === 'OPEN' && (holderCount !== before.holderCount || bestShared !== before.bestShared));
  const plan: SimilarPlan = {
    match: {
      id: before.matchId,
      status,
      holderCount,
      bestShared,
      similarIds: counted.map((o) => o.signatureId).sort(),
      version: changed ? before.version + 1 : before.version,
      changed,
    },
    create: null,
    update: null,
  };
  const alert = before.alert;
  if (status === 'OPEN') {
    const similarity = estimatedJaccard(bestShared);
    const otherHolders = holderCount - 1;
    if (!alert) plan.create = { memberId: before.memberId, otherHolders, similarity };
    else if (alert.status === 'CLOSED' || alert.otherHolders !== otherHolders || alert.similarity !== similarity) {
      plan.update = {
        id: alert.id,
        status: 'OPEN',
        otherHolders,
        similarity,
        version: alert.version + 1,
        type: 'alert.updated',
        closeReason: null,
      };
    }
  } else if (alert?.status === 'OPEN') {
    plan.update = {
      id: alert.id,
      status: 'CLOSED',
      otherHolders: alert.otherHolders,
      similarity: alert.similarity,
      version: alert.version + 1,
      type: 'alert.closed',
      closeReason,
    };
  }
  return plan;
}
