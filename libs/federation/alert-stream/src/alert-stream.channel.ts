import type { MemberStreamMessage } from './member-fanout.js';
import type { AlertEventType } from '@app/correlation';

/** One alert change as it travels between processes: ids only, never alert content. */
export interface StreamedAlertEvent {
  memberId: string;
  alertId: string;
  type: AlertEventType;
  version: number;
  /** The event's number among its member's events (alert_events.seq); absent in messages of older workers. */
  seq?: string;
}

/** A Redis pub/sub message: the changes one correlation pass made. */
export type AlertStreamMessage = MemberStreamMessage<StreamedAlertEvent>;

/** The pub/sub channel, under the deployment's key prefix (Redis does not prefix channels itself). */
export function alertEventsChannel(prefix: string): string {
  return `${prefix}:alert-events`;
}
