import type { FunctionComponent } from 'preact';
import type { Session } from '../session.js';

/** A page contributed by another feature: where it sits in the navigation and who sees it. */
export interface ExtraPage {
  path: string;
  label: string;
  adminOnly: boolean;
  component: FunctionComponent<{ session: Session }>;
}

/**
 * Pages of features that land separately (the quarantine queue for
 * operators, campaigns for members' analysts): each adds its entry here and
 * the navigation shows it; nothing else in the console changes.
 */
export const EXTRA_PAGES: ExtraPage[] = [];
