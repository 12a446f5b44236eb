export type { AlertEvent, AlertEventType, TokenKey } from '@app/outbox';

/** A match's state as decided from its current holders. */
export type MatchState = 'OPEN' | 'CLOSED' | 'COMMON';
