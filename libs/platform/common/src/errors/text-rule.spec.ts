import { describe, expect, it } from 'vitest';
import { illFormedTextProblems } from './text-rule.js';

describe('illFormedTextProblems (rule wellFormedText)', () => {
  it('accepts any Unicode text, astral characters and controls other than NUL included', () => {
    expect(illFormedTextProblems({ a: 'plain', b: 'é 中 😀 \u200d\ufe0f', c: 'tab\tnew\nline', d: ['x', { e: '\ud83d\ude00' }] })).toEqual(
      [],
    );
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a lone high surrogate', 'a\ud800'],
    ['a lone low surrogate', '\udc00a'],
    ['surrogates in the wrong order', '\udc00\ud800'],
  ])('refuses %s, naming the field path', (_name, bad) => {
    expect(illFormedTextProblems({ input: { items: [{ note: 'ok' }, { note: bad }] } })).toEqual([
      {
        field: 'input.items.1.note',
        rule: 'wellFormedText',
        message: expect.stringMatching(/^input\.items\.1\.note must be Unicode text/),
      },
    ]);
  });

  it('checks a plain string argument under its own name', () => {
    expect(illFormedTextProblems('x\u0000', 'id')).toEqual([
      { field: '', rule: 'wellFormedText', message: expect.stringMatching(/^id must be/) },
    ]);
  });

  it('walks any depth without recursion', () => {
    let deep: unknown = 'bad\u0000';
    for (let i = 0; i < 200_000; i++) deep = { a: deep };
    expect(illFormedTextProblems(deep)).toHaveLength(1);
  });
});
