import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTokenCache, TOKEN_CACHE_HEADER } from './token-cache.js';

const KEY_A = 'xke-84SXvG7Ad8Iq9ltpbvpDv_O0oZdaPo4KHFp51jE';
const KEY_B = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const H1 = '11'.repeat(32);
const H2 = '22'.repeat(32);
const T1 = 'aa'.repeat(32);
const T2 = 'bb'.repeat(32);

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sigfed-cache-'));
  path = join(dir, 'member.json.oprf-cache');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('FileTokenCache', () => {
  it('creates a 0600 file with the header and gives back what it stored after reopening', () => {
    const cache = FileTokenCache.open(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    cache.put('2027-q1', KEY_A, 'IP_RANGE', [[H1, T1]]);
    cache.put('2027-q1', KEY_A, 'IP_RANGE', [[H2, T2]]);
    expect(readFileSync(path, 'utf8')).toBe(
      `${TOKEN_CACHE_HEADER}\nkey 2027-q1 ${KEY_A}\ntok 2027-q1 IP_RANGE ${H1} ${T1}\ntok 2027-q1 IP_RANGE ${H2} ${T2}\n`,
    );
    const again = FileTokenCache.open(path);
    expect(again.get('2027-q1', KEY_A, 'IP_RANGE', H2)).toBe(T2);
    expect(again.size).toBe(2);
  });

  it('keeps tokens apart by epoch, type and the public key they were verified against', () => {
    FileTokenCache.open(path).put('2027-q1', KEY_A, 'IP_RANGE', [[H1, T1]]);
    const cache = FileTokenCache.open(path);
    expect(cache.get('2027-q2', KEY_A, 'IP_RANGE', H1)).toBeUndefined();
    expect(cache.get('2027-q1', KEY_A, 'ACCOUNT_SIGNAL', H1)).toBeUndefined();
    expect(cache.get('2027-q1', KEY_B, 'IP_RANGE', H1)).toBeUndefined();
  });

  it('ignores a torn last line and refuses other malformed lines by number', () => {
    FileTokenCache.open(path).put('2027-q1', KEY_A, 'IP_RANGE', [[H1, T1]]);
    appendFileSync(path, `tok 2027-q1 IP_RANGE ${H2} bb`);
    expect(FileTokenCache.open(path).get('2027-q1', KEY_A, 'IP_RANGE', H1)).toBe(T1);
    writeFileSync(path, `${TOKEN_CACHE_HEADER}\nkey 2027-q1 ${KEY_A}\ntok 2027-q1 IP_RANGE ${H1}\n`);
    expect(() => FileTokenCache.open(path)).toThrow(/line 3 is malformed/);
    writeFileSync(path, 'something else\n');
    expect(() => FileTokenCache.open(path)).toThrow(/not a Sigfed token cache/);
  });

  it('refuses a file other users can read', () => {
    FileTokenCache.open(path);
    chmodSync(path, 0o644);
    expect(() => FileTokenCache.open(path)).toThrow(/readable or writable by other users \(mode 644\); run chmod 600/);
  });
});
