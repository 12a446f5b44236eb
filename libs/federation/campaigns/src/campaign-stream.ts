import type { MemberStreamMessage } from '@app/alert-stream';
import type { CampaignEvent } from './campaign-events.js';

/** A Redis pub/sub message: the changes one linking pass made (ids only). */
export type CampaignStreamMessage = MemberStreamMessage<CampaignEvent>;

/** The pub/sub channel, under the deployment's key prefix. */
export function campaignEventsChannel(prefix: string): string {
  return `${prefix}:campaign-events`;
}
