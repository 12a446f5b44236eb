import {
  decodeCursor,
  encodeCursor,
  InputValidationError,
  isTimestampKey,
  pageSize,
  toConnection,
  type ConnectionArgs,
  type ConnectionShape,
} from '@app/common';
import { queryRows, type RawSqlClient } from '@app/database';
import { KEY_EPOCH_PATTERN } from '@app/sdk';
import type { TokenListPages, TokenListRow } from './alerts.sql.js';

/** The key of a listed token, as its cursor carries it after the instant. */
interface TokenKeyed {
  type: string;
  keyEpoch: string;
  token: string;
}

/**
 * One page of a token list (suppressions, quarantine) as a Relay
 * connection: newest first, the cursor is the row's exact instant and
 * token key, and a cursor that the list did not return is refused naming
 * `after`.
 */
export async function tokenListPage<T extends TokenKeyed>(
  db: RawSqlClient,
  list: string,
  pages: TokenListPages<TokenListRow<T>>,
  args: ConnectionArgs,
): Promise<ConnectionShape<T>> {
  const first = pageSize(args.first);
  let rows: TokenListRow<T>[];
  if (args.after) {
    const [at, type, keyEpoch, token] = decodeCursor(list, args.after, ['string', 'string', 'string', 'string'] as const);
    if (!isTimestampKey(at) || !/^[0-9a-f]{64}$/.test(token) || !/^[A-Z_]{1,32}$/.test(type) || !KEY_EPOCH_PATTERN.test(keyEpoch)) {
      throw new InputValidationError([{ field: 'after', rule: 'cursor', message: 'after must be a cursor that this list returned' }]);
    }
    rows = await queryRows(db, pages.after, [first + 1, at, type, keyEpoch, token]);
  } else {
    rows = await queryRows(db, pages.first, [first + 1]);
  }
  return toConnection(
    rows,
    first,
    (r) => encodeCursor(list, [r.cursorKey, r.type, r.keyEpoch, r.token]),
    ({ cursorKey: _key, ...row }) => row as unknown as T,
  );
}
