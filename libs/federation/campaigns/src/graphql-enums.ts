/** Registers the GraphQL names of the database enums this library's models and inputs expose (they import this file). */
import { registerEnumType } from '@nestjs/graphql';
import { CampaignStatus } from '@app/database';

registerEnumType(CampaignStatus, {
  name: 'CampaignStatus',
  description: 'Whether a campaign still links members.',
  valuesMap: {
    ACTIVE: { description: 'Its bundles form a component that spans at least MATCH_MIN_MEMBERS members.' },
    CLOSED: { description: 'Split away, merged into an older campaign, or below MATCH_MIN_MEMBERS; or you no longer have bundles in it.' },
  },
});
