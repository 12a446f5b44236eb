import { describe, expect, it } from 'vitest';
import { formatCharacterIn } from './plain-text.js';

describe('formatCharacterIn', () => {
  it.each([
    ['a\u202Eb', 'U+202E at character 2'],
    ['\uFEFFx', 'U+FEFF at character 1'],
    ['😀\u200B', 'U+200B at character 2'],
    ['tag\u{E0041}', 'U+E0041 at character 4'],
  ])('finds the first format character in %j', (text, found) => {
    expect(formatCharacterIn(text)).toBe(found);
  });

  it.each(['plain', 'Café 中文 مرحبا עברית 😀', 'line\nbreak', ''])('accepts %j', (text) => {
    expect(formatCharacterIn(text)).toBeUndefined();
  });
});
