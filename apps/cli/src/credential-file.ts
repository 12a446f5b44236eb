import { chmod, mkdir, open, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { JWK } from 'jose';
import { CliFailure } from './commands/hash.command.js';

/** What a member needs to authenticate: the file `bootstrap-admin` writes and the example client reads. */
export interface MemberCredential {
  clientId: string;
  privateJwk: JWK;
  issuer: string;
}

/**
 * Writes a credential file with mode 0600, never over an existing file. The
 * file is claimed (created empty, O_EXCL) before `produce` runs, so no
 * member is created whose private key could not be saved; if `produce`
 * fails, the empty file is removed again.
 */
export async function writeCredentialFile(
  path: string,
  produce: () => Promise<MemberCredential | undefined>,
): Promise<MemberCredential | undefined> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliFailure(`${path} exists already; refusing to overwrite it (move it away or choose another file)`);
    }
    throw new CliFailure(`cannot create ${path}: ${(error as Error).message}`);
  }
  try {
    await chmod(path, 0o600); // whatever the umask
    const credential = await produce();
    if (!credential) {
      await handle.close();
      await rm(path, { force: true });
      return undefined;
    }
    await handle.writeFile(`${JSON.stringify(credential, null, 2)}\n`, 'utf8');
    await handle.close();
    return credential;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(path, { force: true });
    throw error;
  }
}
