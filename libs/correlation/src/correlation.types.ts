import type { IndicatorType } from '@app/database';

/** What matching is keyed on: a token within its type and key epoch. Tokens travel as hex. */
export interface TokenKey {
  type: IndicatorType;
  keyEpoch: string;
  token: string;
}

/** Webhook and subscription event types about alerts. */
export type AlertEventType = 'alert.created' | 'alert.updated' | 'alert.closed';

/** One change to one member's alert, as correlation produced it. */
export interface AlertEvent {
  alertId: string;
  memberId: string;
  type: AlertEventType;
  version: number;
  /** The event's number among its member's events (alert_events.seq), as a decimal string. */
  seq?: string;
}

/** A match's state as decided from its current holders. */
export type MatchState = 'OPEN' | 'CLOSED' | 'COMMON';

/** What keeps a token from matching however many members hold it. */
export type BlockReason = 'SUPPRESSED' | 'QUARANTINED' | 'KEY_EPOCH_RETIRED';

/** Why an alert closed (alerts.close_reason, `Alert.closeReason`). */
export type AlertCloseReason = BlockReason | 'COMMON' | 'NOT_MATCHED';
