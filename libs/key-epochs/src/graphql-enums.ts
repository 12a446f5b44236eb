import { registerEnumType } from '@nestjs/graphql';
import { KeyEpochScheme } from '@app/database';
import { OprfKeyStatus } from './key-epoch-status.js';

registerEnumType(KeyEpochScheme, {
  name: 'KeyEpochScheme',
  description: "How an epoch's tokens are derived (docs/two-key-tokens.md).",
  valuesMap: {
    HMAC: { description: 'HMAC-SHA256 under the federation key alone.' },
    TWO_KEY: { description: "The member's HMAC, then the server's POPRF (RFC 9497, ristretto255-SHA512) through evaluateBlinded." },
  },
});

registerEnumType(OprfKeyStatus, {
  name: 'OprfKeyStatus',
  description: 'Where a two-key epoch stands in its life.',
  valuesMap: {
    UPCOMING: { description: 'Published before notBefore: members may derive tokens under it ahead of the switch.' },
    ACTIVE: { description: 'Between notBefore and notAfter.' },
    RETIRING: { description: 'After notAfter, while evaluations are still served (KEY_EPOCH_RETIRING_DAYS).' },
    RETIRED: { description: 'No longer evaluated: KEY_EPOCH_RETIRING_DAYS after notAfter, or retired by an operator.' },
  },
});
