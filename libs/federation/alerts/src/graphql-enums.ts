/** Registers the GraphQL names of the database enums this library's models and inputs expose (they import this file). */
import { registerEnumType } from '@nestjs/graphql';
import { AlertCloseReason, AlertStatus, MatchKind, Verdict } from '@app/database';

registerEnumType(AlertStatus, {
  name: 'AlertStatus',
  description: 'Whether the match behind an alert still holds.',
  valuesMap: {
    OPEN: { description: 'At least k members (you included) hold the token now.' },
    CLOSED: { description: 'The match no longer holds for you: retracted, expired, suppressed or below k.' },
  },
});

registerEnumType(Verdict, {
  name: 'Verdict',
  description: "A member's conclusion about an alert.",
  valuesMap: {
    CONFIRMED_ABUSE: { description: 'Investigated: the value belongs to abuse.' },
    FALSE_POSITIVE: { description: 'Investigated: benign.' },
    UNDER_REVIEW: { description: 'Being investigated.' },
  },
});

registerEnumType(AlertCloseReason, {
  name: 'AlertCloseReason',
  description: 'Why an alert closed (docs/indicators-and-alerts.md#why-an-alert-closed).',
  valuesMap: {
    NOT_MATCHED: { description: 'Fewer than k active members hold the token now, or you no longer hold it (retracted, expired).' },
    COMMON: { description: 'Held by more than COMMON_TOKEN_SHARE of the active members: too common to mean a campaign.' },
    SUPPRESSED: { description: 'An admin put the token on the suppression list.' },
    QUARANTINED: { description: "Members' FALSE_POSITIVE verdicts quarantined the token; it alerts again only once an admin releases it." },
    KEY_EPOCH_RETIRED: { description: "An operator retired the token's key epoch; tokens under it no longer match." },
  },
});

registerEnumType(MatchKind, {
  name: 'MatchKind',
  description: 'What an alert matched on.',
  valuesMap: {
    EXACT: { description: 'The same token (type, key epoch, token) held by other members.' },
    SIMILAR: {
      description:
        "A template signature sharing at least SIMILARITY_MIN_SHARED_BANDS band tokens with other members' signatures; token is this member's own signature digest.",
    },
  },
});
