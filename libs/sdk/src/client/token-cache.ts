import { appendFileSync, closeSync, fstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { IndicatorType } from '../types.js';
import { TokenCacheError } from './errors.js';

/**
 * Where two-key tokens are kept once derived, so each value costs one evaluation ever. Keyed
 * by epoch, the public key the token was verified against, type and HMAC; never by raw value.
 */
export interface TwoKeyTokenCache {
  get(keyEpoch: string, publicKey: string, type: IndicatorType, hmacHex: string): string | undefined;
  /** Records `[hmacHex, token]` pairs derived under one epoch, key and type. */
  put(keyEpoch: string, publicKey: string, type: IndicatorType, entries: readonly (readonly [string, string])[]): void;
}

const entryKey = (keyEpoch: string, publicKey: string, type: string, hmacHex: string) => `${keyEpoch} ${publicKey} ${type} ${hmacHex}`;

/** A cache that lives as long as the process (tests, or a member that keeps its own store). */
export class MemoryTokenCache implements TwoKeyTokenCache {
  protected readonly tokens = new Map<string, string>();

  get(keyEpoch: string, publicKey: string, type: IndicatorType, hmacHex: string): string | undefined {
    return this.tokens.get(entryKey(keyEpoch, publicKey, type, hmacHex));
  }

  put(keyEpoch: string, publicKey: string, type: IndicatorType, entries: readonly (readonly [string, string])[]): void {
    for (const [hmac, token] of entries) this.tokens.set(entryKey(keyEpoch, publicKey, type, hmac), token);
  }

  /** Tokens held. */
  get size(): number {
    return this.tokens.size;
  }
}

/** First line of a cache file. */
export const TOKEN_CACHE_HEADER = 'sigfed-oprf-cache v1';
const HEX64 = /^[0-9a-f]{64}$/;
const EPOCH = /^[a-z0-9][a-z0-9._-]{0,31}$/;
const KEY = /^[A-Za-z0-9_-]{43}$/;
const TYPE = /^(?:PAYMENT_FINGERPRINT|IP_RANGE|PROMPT_TEMPLATE|ACCOUNT_SIGNAL)$/;

/**
 * The token cache as a file the member owns (docs/canonicalization.md, "The token cache"):
 * mode 0600, UTF-8 lines appended as tokens are derived. Opening refuses a file that other
 * users can read or write, or that belongs to another user.
 */
export class FileTokenCache extends MemoryTokenCache {
  /** The key each epoch's latest `key` line names, so a line is written only when it changes. */
  private readonly keyLines = new Map<string, string>();

  private constructor(readonly path: string) {
    super();
  }

  /** Opens the cache at `path`, creating it (mode 0600, header line) when it does not exist. */
  static open(path: string): FileTokenCache {
    const cache = new FileTokenCache(path);
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${TOKEN_CACHE_HEADER}\n`);
      closeSync(fd);
      return cache;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new TokenCacheError(`cannot create the token cache ${path}: ${(error as Error).message}`);
    }
    fd = openSync(path, 'r');
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw new TokenCacheError(`the token cache ${path} is not a regular file`);
      if ((stat.mode & 0o077) !== 0) {
        throw new TokenCacheError(
          `the token cache ${path} is readable or writable by other users (mode ${(stat.mode & 0o777).toString(8)}); run chmod 600 ${path}`,
        );
      }
      if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
        throw new TokenCacheError(`the token cache ${path} belongs to another user (uid ${stat.uid})`);
      }
      cache.load(readFileSync(fd, 'utf8'));
    } finally {
      closeSync(fd);
    }
    return cache;
  }

  override put(keyEpoch: string, publicKey: string, type: IndicatorType, entries: readonly (readonly [string, string])[]): void {
    if (entries.length === 0) return;
    const lines: string[] = [];
    if (this.keyLines.get(keyEpoch) !== publicKey) lines.push(`key ${keyEpoch} ${publicKey}`);
    for (const [hmac, token] of entries) lines.push(`tok ${keyEpoch} ${type} ${hmac} ${token}`);
    // One append per batch: O_APPEND keeps concurrent writers' lines whole.
    appendFileSync(this.path, `${lines.join('\n')}\n`, { mode: 0o600 });
    this.keyLines.set(keyEpoch, publicKey);
    super.put(keyEpoch, publicKey, type, entries);
  }

  private load(text: string): void {
    const lines = text.split('\n');
    // The last piece is empty after a final newline; otherwise it is a line a crash cut short
    // mid-append, and what it held is simply evaluated again.
    lines.pop();
    if (lines[0] !== TOKEN_CACHE_HEADER)
      throw new TokenCacheError(`${this.path} is not a Sigfed token cache (its first line is not "${TOKEN_CACHE_HEADER}")`);
    for (let i = 1; i < lines.length; i++) {
      const fields = lines[i].split(' ');
      const bad = () => new TokenCacheError(`${this.path} line ${i + 1} is malformed`);
      if (fields[0] === 'key') {
        if (fields.length !== 3 || !EPOCH.test(fields[1]) || !KEY.test(fields[2])) throw bad();
        this.keyLines.set(fields[1], fields[2]);
      } else if (fields[0] === 'tok') {
        const [, epoch, type, hmac, token] = fields;
        if (fields.length !== 5 || !TYPE.test(type) || !HEX64.test(hmac) || !HEX64.test(token)) throw bad();
        const key = this.keyLines.get(epoch);
        if (key === undefined) throw bad();
        this.tokens.set(entryKey(epoch, key, type, hmac), token);
      } else {
        throw bad();
      }
    }
  }
}
