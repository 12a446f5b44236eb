import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '@app/common';
import { SERVER_ENV_DEFAULTS, SERVER_NODE_FLAGS, serverProcessEnv } from './serve.flags.js';

const read = (file: string) => readFileSync(join(projectRoot(), file), 'utf8');
const ENTRIES = { api: 'dist/apps/api/src/main.js', worker: 'dist/apps/worker/src/main.js' };

describe('server process flags', () => {
  it('are the ones the start:api and start:worker scripts use', () => {
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    // An operator's own value wins, as with `sigfed serve`.
    const env = Object.entries(SERVER_ENV_DEFAULTS).map(([name, value]) => `${name}=\${${name}:-${value}}`);
    for (const [role, entry] of Object.entries(ENTRIES)) {
      // exec: a signal to npm's shell reaches node itself (a process manager stops npm, not its children).
      expect(scripts[`start:${role}`]).toBe([...env, 'exec', 'node', ...SERVER_NODE_FLAGS, entry].join(' '));
    }
  });

  it('are the ones the Dockerfile starts the API with', () => {
    const dockerfile = read('Dockerfile');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(cmd && JSON.parse(cmd)).toEqual(['node', ...SERVER_NODE_FLAGS, ENTRIES.api]);
    const envLines = dockerfile.split('\n').filter((line) => line.startsWith('ENV '));
    for (const [name, value] of Object.entries(SERVER_ENV_DEFAULTS)) {
      expect(envLines.some((line) => line.split(/\s+/).includes(`${name}=${value}`))).toBe(true);
    }
  });

  it('fill in the environment defaults without overriding the operator', () => {
    expect(serverProcessEnv({ PORT: '3000' })).toEqual({ PORT: '3000', ...SERVER_ENV_DEFAULTS });
    expect(serverProcessEnv({ MALLOC_ARENA_MAX: '4' }).MALLOC_ARENA_MAX).toBe('4');
    expect(serverProcessEnv({ MALLOC_ARENA_MAX: '' }).MALLOC_ARENA_MAX).toBe(SERVER_ENV_DEFAULTS.MALLOC_ARENA_MAX);
  });

  it('are accepted by this node (an unknown flag stops node from starting)', () => {
    expect(execFileSync(process.execPath, [...SERVER_NODE_FLAGS, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' })).toBe('ok');
  });
});
