import { registerEnumType } from '@nestjs/graphql';
import { AlertStatus, MatchKind, Verdict } from '@app/database';

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
