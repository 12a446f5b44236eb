import type { FunctionComponent } from 'preact';
import type { Session } from '../session.js';
import { CampaignsPage } from './campaigns.js';
import { QuarantinePage } from './quarantine.js';

/** A page contributed by another feature: where it sits in the navigation and who sees it. */
export interface ExtraPage {
  path: string;
  label: string;
  adminOnly: boolean;
  component: FunctionComponent<{ session: Session }>;
}

/**
 * Pages of features that landed after the console: the quarantine queue for
 * operators (issue 15) and campaigns for members' analysts (issue 16). Each
 * entry adds a page to the navigation; nothing else in the console changes.
 */
export const EXTRA_PAGES: ExtraPage[] = [
  { path: 'quarantine', label: 'Quarantine', adminOnly: true, component: QuarantinePage },
  { path: 'campaigns', label: 'Campaigns', adminOnly: false, component: CampaignsPage },
];
