import { MaxLength, validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { charCount, MaxChars } from './max-chars.js';

class Reason {
  @MaxChars(10)
  reason!: string;
}

class Labels {
  @MaxChars(3, { each: true })
  labels!: string[];
}

class Legacy {
  @MaxLength(10)
  reason!: string;
}

const check = <T extends object>(target: T) => validateSync(target).flatMap((e) => Object.entries(e.constraints ?? {}));

describe('MaxChars', () => {
  it('counts code points, as a varchar column does', () => {
    expect(charCount('abc')).toBe(3);
    expect(charCount('😀')).toBe(1);
    expect(charCount('✔\uFE0F')).toBe(2);
  });

  it('refuses a text that a variation selector makes longer than the column', () => {
    const text = `${'a'.repeat(9)}✔\uFE0F`; // 11 characters in PostgreSQL
    expect(check(Object.assign(new Legacy(), { reason: text }))).toEqual([]); // what MaxLength let through
    expect(check(Object.assign(new Reason(), { reason: text }))).toEqual([
      ['maxLength', 'reason must be shorter than or equal to 10 characters'],
    ]);
    expect(check(Object.assign(new Reason(), { reason: `${'a'.repeat(9)}😀` }))).toEqual([]);
  });

  it("checks each item of a list, with class-validator's message", () => {
    expect(check(Object.assign(new Labels(), { labels: ['abc', 'abcd'] }))).toEqual([
      ['maxLength', 'each value in labels must be shorter than or equal to 3 characters'],
    ]);
  });

  it('refuses what is not a string, as MaxLength does', () => {
    expect(check(Object.assign(new Reason(), { reason: 12 }))).toHaveLength(1);
  });
});
