import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decrypt, DecryptionError, encrypt, loadDataKey } from './data-key.js';

const dir = () => mkdtempSync(join(tmpdir(), 'sigfed-datakey-'));

describe('loadDataKey', () => {
  it('creates <dataDir>/master.key with mode 0600 once and reads the same key afterwards', () => {
    const dataDir = join(dir(), 'nested');
    const first = loadDataKey(undefined, dataDir);
    expect(first).toMatchObject({ source: 'file', created: true });
    expect(first.key).toHaveLength(32);
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    const second = loadDataKey(undefined, dataDir);
    expect(second.created).toBe(false);
    expect(second.key.equals(first.key)).toBe(true);
  });

  it('prefers SIGFED_MASTER_KEY and never touches the folder then', () => {
    const given = Buffer.alloc(32, 7).toString('base64url');
    const dataDir = join(dir(), 'unused');
    const loaded = loadDataKey(given, dataDir);
    expect(loaded).toMatchObject({ source: 'env', created: false });
    expect(loaded.key.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(() => statSync(dataDir)).toThrow();
  });

  it('refuses a key file that does not hold 32 bytes, and warns about a readable one', () => {
    const dataDir = dir();
    writeFileSync(join(dataDir, 'master.key'), 'short', { mode: 0o644 });
    expect(() => loadDataKey(undefined, dataDir)).toThrow(/32 bytes/);
    writeFileSync(join(dataDir, 'master.key'), Buffer.alloc(32, 1).toString('base64url'));
    expect(loadDataKey(undefined, dataDir).warning).toMatch(/readable by other users/);
    expect(readFileSync(join(dataDir, 'master.key'), 'utf8')).toHaveLength(43);
  });
});

describe('encrypt/decrypt', () => {
  const key = Buffer.alloc(32, 3);

  it('round-trips and never repeats a ciphertext', () => {
    const a = encrypt(key, Buffer.from('secret'), 'ctx');
    const b = encrypt(key, Buffer.from('secret'), 'ctx');
    expect(a.equals(b)).toBe(false);
    expect(decrypt(key, a, 'ctx').toString()).toBe('secret');
  });

  it('refuses another key, another context, or a flipped bit', () => {
    const sealed = encrypt(key, Buffer.from('secret'), 'signing-key:a');
    expect(() => decrypt(Buffer.alloc(32, 4), sealed, 'signing-key:a')).toThrow(DecryptionError);
    expect(() => decrypt(key, sealed, 'signing-key:b')).toThrow(DecryptionError);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1] ^= 1;
    expect(() => decrypt(key, flipped, 'signing-key:a')).toThrow(DecryptionError);
  });
});
