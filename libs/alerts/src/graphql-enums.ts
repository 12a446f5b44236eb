import { registerEnumType } from '@nestjs/graphql';
import { AlertStatus, Verdict } from '@app/database';

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
