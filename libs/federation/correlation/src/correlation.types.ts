export type { AlertEvent, AlertEventType, TokenKey } from '@app/outbox';

/** A match's state as decided from its current holders. */
export type MatchState = 'OPEN' | 'CLOSED' | 'COMMON';

/** What keeps a token from matching however many members hold it. */
export type BlockReason = 'SUPPRESSED' | 'QUARANTINED' | 'KEY_EPOCH_RETIRED';

/** Why an alert closed (alerts.close_reason, `Alert.closeReason`). */
export type AlertCloseReason = BlockReason | 'COMMON' | 'NOT_MATCHED';
