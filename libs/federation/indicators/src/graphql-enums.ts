/** Registers the GraphQL names of the database enums this library's models and inputs expose (they import this file). */
import { registerEnumType } from '@nestjs/graphql';
import { IndicatorType } from '@app/database';

registerEnumType(IndicatorType, {
  name: 'IndicatorType',
  description: 'What kind of value an indicator token was derived from (docs/canonicalization.md).',
  valuesMap: {
    PAYMENT_FINGERPRINT: { description: 'A payment card: full PAN, or BIN + last 4 + expiry.' },
    IP_RANGE: { description: 'One /24 (IPv4) or /48 (IPv6) block of an address or range.' },
    PROMPT_TEMPLATE: { description: 'A prompt with its variable parts replaced by placeholders.' },
    ACCOUNT_SIGNAL: { description: 'An opaque account attribute (e-mail domain, device fingerprint).' },
  },
});
