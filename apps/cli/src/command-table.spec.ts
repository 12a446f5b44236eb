import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandNameIn } from './command-table.js';

describe('command table', () => {
  it('says of each command what its module says, and names every command its module defines', { timeout: 30_000 }, async () => {
    for (const entry of COMMANDS) {
      const program = new Command('sigfed');
      (await entry.load())(program);
      expect(program.commands.map((c) => [c.name(), c.description()])).toEqual([[entry.name, entry.description]]);
    }
  });

  it('finds the command in argv, also after `help`', () => {
    expect(commandNameIn(['alerts', '--json'])).toBe('alerts');
    expect(commandNameIn(['help', 'webhooks'])).toBe('webhooks');
    expect(commandNameIn(['--help'])).toBeUndefined();
    expect(commandNameIn([])).toBeUndefined();
  });
});
