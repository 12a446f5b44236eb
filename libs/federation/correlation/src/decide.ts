import type { AlertCloseReason, AlertEvent, BlockReason, MatchState } from './correlation.types.js';

/** The thresholds in force (AppConfig.correlation). */
export interface MatchRules {
  minMembers: number;
  commonShare: number;
  commonMinHolders: number;
}

/** A match's state before this pass. */
export interface MatchBefore {
  id: string;
  status: MatchState;
  holderCount: number;
  version: number;
}

/** An alert's state before this pass. */
export interface AlertBefore {
  id: string;
  memberId: string;
  status: 'OPEN' | 'CLOSED';
  otherHolders: number;
  version: number;
}

/** What to write for one match. */
export interface MatchPlan {
  match: { id: string; status: MatchState; holderCount: number; version: number; changed: boolean };
  /** Members that get a new alert (OPEN, otherHolders = n - 1). */
  create: string[];
  /** Existing alerts whose status or count changes. */
  update: {
    id: string;
    memberId: string;
    status: 'OPEN' | 'CLOSED';
    otherHolders: number;
    version: number;
    type: AlertEvent['type'];
    /** Why a closing alert closes; null when it opens. */
    closeReason: AlertCloseReason | null;
  }[];
}

/**
 * Pure decision for one (type, epoch, token): from the members that hold it
 * now, what (if anything) keeps it from matching (suppression, quarantine, a
 * retired key epoch), and how many members are active, decide the match
 * state and each holder's alert. Kept free of I/O so the rules can be tested
 * exhaustively.
 */
export function decideMatch(
  before: MatchBefore,
  holders: string[],
  alerts: AlertBefore[],
  blocked: BlockReason | null,
  activeMembers: number,
  rules: MatchRules,
): MatchPlan {
  const n = holders.length;
  const common = n >= rules.commonMinHolders && n > rules.commonShare * activeMembers;
  const status: MatchState = blocked ? 'CLOSED' : common ? 'COMMON' : n >= rules.minMembers ? 'OPEN' : 'CLOSED';
  const reason: AlertCloseReason = blocked ?? (common ? 'COMMON' : 'NOT_MATCHED');
  const changed = status !== before.status || (status === 'OPEN' && n !== before.holderCount);
  const plan: MatchPlan = {
    match: { id: before.id, status, holderCount: n, version: changed ? before.version + 1 : before.version, changed },
    create: [],
    update: [],
  };

  const byMember = new Map(alerts.map((a) => [a.memberId, a]));
  const holding = new Set(holders);
  if (status === 'OPEN') {
    for (const memberId of holders) {
      const alert = byMember.get(memberId);
      if (!alert) plan.create.push(memberId);
      else if (alert.status === 'CLOSED' || alert.otherHolders !== n - 1) {
        plan.update.push({
          id: alert.id,
          memberId,
          status: 'OPEN',
          otherHolders: n - 1,
          version: alert.version + 1,
          type: 'alert.updated',
          closeReason: null,
        });
      }
    }
  }
  for (const alert of alerts) {
    const stillOpen = status === 'OPEN' && holding.has(alert.memberId);
    if (alert.status === 'OPEN' && !stillOpen) {
      plan.update.push({
        id: alert.id,
        memberId: alert.memberId,
        status: 'CLOSED',
        otherHolders: holding.has(alert.memberId) ? Math.max(n - 1, 0) : alert.otherHolders,
        version: alert.version + 1,
        type: 'alert.closed',
        closeReason: holding.has(alert.memberId) ? reason : 'NOT_MATCHED',
      });
    }
  }
  return plan;
}
