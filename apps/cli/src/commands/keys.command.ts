import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { addApiOptions, apiAction, call, clientOf, fields, print, printList, type ApiOptions } from '../member-api.js';
import { CliFailure } from './hash.command.js';

export const KEY_FIELDS = 'kid alg status createdAt lastUsedAt revokedAt';
const ME_KEYS = `query Keys { me { keys { ${KEY_FIELDS} } } }`;
const ADD = `mutation AddKey($publicJwk: JSONObject!) { addMemberKey(publicJwk: $publicJwk) { ${KEY_FIELDS} } }`;
const REVOKE = `mutation RevokeKey($kid: String!) { revokeMemberKey(kid: $kid) { ${KEY_FIELDS} } }`;

/** A member key as the CLI shows it. */
export interface ShownKey {
  kid: string;
  alg: string;
  status: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const keyRow = (k: ShownKey) =>
  [k.kid, k.alg.padEnd(5), k.status.padEnd(7), `created ${k.createdAt}`, k.lastUsedAt ? `last used ${k.lastUsedAt}` : 'never used'].join(
    '  ',
  );
const keyFields = (k: ShownKey) =>
  fields([
    ['kid', k.kid],
    ['alg', k.alg],
    ['status', k.status],
    ['created', k.createdAt],
    ['last used', k.lastUsedAt],
    ['revoked', k.revokedAt],
  ]);

function readPublicJwk(path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliFailure(`${path}: not a readable JSON file (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliFailure(`${path}: expected one JWK object`);
  // The server refuses private parts too; refusing here keeps them off the wire.
  if ('d' in value) throw new CliFailure(`${path}: holds a private key ("d"); give the public JWK only`);
  return value as Record<string, unknown>;
}

/** `keys list`, `keys add --public-jwk <file>`, `keys revoke <kid>`. */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('list, add and revoke your public keys');

  addApiOptions(keys.command('list').description('your keys, revoked ones included')).action(
    apiAction('keys list', async (options: ApiOptions) => {
      const data = await call<{ me: { keys: ShownKey[] } }>(clientOf(options), ME_KEYS);
      printList(options, data.me.keys, keyRow, 'key');
    }),
  );

  addApiOptions(
    keys
      .command('add')
      .description('register another public key (to rotate by hand; `rotate-key` does the whole rotation)')
      .requiredOption('--public-jwk <file>', 'the public JWK (Ed25519 or P-256) as JSON'),
  ).action(
    apiAction('keys add', async (options: ApiOptions & { publicJwk: string }) => {
      const data = await call<{ addMemberKey: ShownKey }>(clientOf(options), ADD, { publicJwk: readPublicJwk(options.publicJwk) });
      print(options, data.addMemberKey, () => keyFields(data.addMemberKey));
    }),
  );

  addApiOptions(
    keys
      .command('revoke')
      .description('revoke one of your keys; tokens obtained with it are refused at once (not your last active key)')
      .argument('<kid>', 'the key id (`keys list`; put -- before a kid starting with -)'),
  ).action(
    apiAction('keys revoke', async (kid: string, options: ApiOptions) => {
      const data = await call<{ revokeMemberKey: ShownKey }>(clientOf(options), REVOKE, { kid });
      print(options, data.revokeMemberKey, () => keyFields(data.revokeMemberKey));
    }),
  );
}
