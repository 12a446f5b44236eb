import { constants } from 'node:fs';
import { copyFile, open, rename, rm } from 'node:fs/promises';
import type { Command } from 'commander';
import { SigfedClient, type SigfedCredentials } from '@app/sdk';
import { addApiOptions, apiAction, call, fields, print, type ApiOptions } from '../member-api.js';
import { kidOf, memberKeyAlg, newMemberKeyPair } from '../member-key.js';
import { CliFailure, exitCodeOf } from './hash.command.js';
import { KEY_FIELDS, type ShownKey } from './keys.command.js';
import { loadCredentials } from './hash.command.js';

const ADD = `mutation AddKey($publicJwk: JSONObject!) { addMemberKey(publicJwk: $publicJwk) { ${KEY_FIELDS} } }`;
const REVOKE = `mutation RevokeKey($kid: String!) { revokeMemberKey(kid: $kid) { ${KEY_FIELDS} } }`;
const ME = `query Me { me { clientId keys { ${KEY_FIELDS} } } }`;

/** Writes `credential` to a new file (mode 0600, never over an existing one), flushed to disk. */
async function writeNewFile(path: string, credential: SigfedCredentials): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliFailure(`${path} exists (left by an interrupted rotation?); move it away and run again`);
    }
    throw new CliFailure(`cannot create ${path}: ${(error as Error).message}`);
  }
  try {
    await handle.writeFile(`${JSON.stringify(credential, null, 2)}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * `rotate-key`: registers a new key made here, writes the new credentials
 * beside the old file, checks that the new key obtains a token, keeps the old
 * file as `<file>.bak`, renames the new one over the old (atomic), then
 * revokes the old key and removes the backup. A failure before the switch
 * leaves the old file in force and withdraws the new key; a failure to revoke
 * leaves the backup and says how to finish.
 */
export function registerRotateKey(program: Command): void {
  addApiOptions(
    program
      .command('rotate-key')
      .description('replace your key: register a new one, switch the credentials file atomically, revoke the old one')
      .option('--alg <alg>', 'type of the new key: EdDSA (Ed25519) or ES256 (P-256); default: as the old one'),
  ).action(
    apiAction('rotate-key', async (options: ApiOptions & { alg?: string }) => {
      if (!options.credentials) throw new CliFailure('--credentials <path> (or SIGFED_CREDENTIALS) is required');
      const path = options.credentials;
      const old = loadCredentials(path);
      const oldKid = await kidOf(old.privateJwk);
      const alg = memberKeyAlg(options.alg ?? (old.privateJwk.kty === 'EC' ? 'ES256' : 'EdDSA'));
      const oldClient = SigfedClient.fromCredentials(old, { baseUrl: options.server });

      const fresh = await newMemberKeyPair(alg);
      const added = (await call<{ addMemberKey: ShownKey }>(oldClient, ADD, { publicJwk: fresh.publicJwk })).addMemberKey;
      const next: SigfedCredentials = { clientId: old.clientId, privateJwk: fresh.privateJwk, issuer: old.issuer };
      const staged = `${path}.new`;
      const backup = `${path}.bak`;
      try {
        await writeNewFile(staged, next);
        const me = (await call<{ me: { keys: ShownKey[] } }>(SigfedClient.fromCredentials(next, { baseUrl: options.server }), ME)).me;
        if (!me.keys.some((k) => k.kid === added.kid && k.status === 'ACTIVE'))
          throw new CliFailure(`the new key ${added.kid} is not active on the server`);
        await copyFile(path, backup, constants.COPYFILE_EXCL);
      } catch (error) {
        // The old file stays in force: take the new key back so no unused key lingers.
        await rm(staged, { force: true });
        await call(oldClient, REVOKE, { kid: added.kid }).catch(() => undefined);
        if ((error as NodeJS.ErrnoException).code === 'EEXIST')
          throw new CliFailure(`${backup} exists (left by an earlier rotation?); move it away and run again`);
        throw error;
      }
      await rename(staged, path);

      let revoked: ShownKey;
      try {
        revoked = (
          await call<{ revokeMemberKey: ShownKey }>(SigfedClient.fromCredentials(next, { baseUrl: options.server }), REVOKE, {
            kid: oldKid,
          })
        ).revokeMemberKey;
      } catch (error) {
        throw new CliFailure(
          `${path} now holds the new key ${added.kid}, but revoking the old key ${oldKid} failed: ${(error as Error).message}\n` +
            `the old key is still active and kept in ${backup}; finish with: sigfed keys revoke ${oldKid} --credentials ${path}`,
          exitCodeOf(error),
        );
      }
      await rm(backup, { force: true });
      const result = { credentials: path, newKey: added, oldKey: revoked };
      print(options, result, () =>
        fields([
          ['credentials', path],
          ['new key', `${added.kid} (${added.alg}, ${added.status})`],
          ['old key', `${revoked.kid} (${revoked.status})`],
        ]),
      );
    }),
  );
}
