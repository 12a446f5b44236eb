import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StartupError } from '@app/common';

/** Where the data-encryption key came from. */
export type DataKeySource = 'env' | 'file';

/** A loaded data-encryption key. `created` is true when this call generated the file. */
export interface LoadedDataKey {
  key: Buffer;
  source: DataKeySource;
  /** The file, when source is 'file'. */
  path?: string;
  created: boolean;
  /** Set when the file can be read by others than its owner. */
  warning?: string;
}

const KEY_BYTES = 32;
const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The file that holds the data key when SIGFED_MASTER_KEY is unset. */
export function masterKeyPath(dataDir: string): string {
  return join(dataDir, 'master.key');
}

function decode(text: string, where: string): Buffer {
  const trimmed = text.trim();
  const key = /^[A-Za-z0-9_-]{43}$/.test(trimmed) ? Buffer.from(trimmed, 'base64url') : Buffer.alloc(0);
  if (key.length !== KEY_BYTES) {
    throw new StartupError(`${where} must hold 32 bytes in base64url (43 characters)`);
  }
  return key;
}

/**
 * The key that encrypts secrets at rest: SIGFED_MASTER_KEY when set, else
 * <dataDir>/master.key, created (mode 0600, in a 0700 folder) when missing.
 * The key is written to a temporary file first and hard-linked into place,
 * which fails if the file exists: two processes starting together agree on
 * one key, and neither can read a file the other has not finished writing.
 */
export function loadDataKey(masterKey: string | undefined, dataDir: string): LoadedDataKey {
  if (masterKey !== undefined) return { key: decode(masterKey, 'SIGFED_MASTER_KEY'), source: 'env', created: false };
  const path = masterKeyPath(dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let created = false;
  const draft = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(draft, `${randomBytes(KEY_BYTES).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    linkSync(draft, path);
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new StartupError(`cannot create ${path}: ${(error as Error).message}`);
    }
  } finally {
    rmSync(draft, { force: true });
  }
  const key = decode(readFileSync(path, 'utf8'), path);
  const mode = statSync(path).mode & 0o777;
  const warning = mode & 0o077 ? `${path} is readable by other users (mode ${mode.toString(8)}); chmod 600 it` : undefined;
  return { key, source: 'file', path, created, warning };
}

/** A ciphertext that does not open under this key and context. */
export class DecryptionError extends Error {
  constructor(context: string) {
    super(`cannot decrypt ${context}: wrong data key, or the stored value was altered`);
    this.name = 'DecryptionError';
  }
}

/**
 * AES-256-GCM. The output is version (1 byte) | IV (12) | tag (16) |
 * ciphertext. `context` is bound as associated data, so a ciphertext moved
 * to another row (another context) does not decrypt.
 */
export function encrypt(key: Buffer, plaintext: Buffer, context: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT_VERSION]), iv, cipher.getAuthTag(), body]);
}

/** Opens what `encrypt` sealed, or throws DecryptionError. */
export function decrypt(key: Buffer, sealed: Uint8Array, context: string): Buffer {
  const blob = Buffer.from(sealed);
  if (blob.length < 1 + IV_BYTES + TAG_BYTES || blob[0] !== FORMAT_VERSION) throw new DecryptionError(context);
  const iv = blob.subarray(1, 1 + IV_BYTES);
  const tag = blob.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(blob.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new DecryptionError(context);
  }
}
