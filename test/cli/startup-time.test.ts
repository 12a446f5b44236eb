import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TEST_FEDERATION_KEY_HEX } from '@app/sdk';
import { childEnv, distEntry, runNode } from '../support/processes.js';

const CLI = distEntry('apps/cli/src/main.js');
/** Well under a second on an idle machine (about 0.15 s for --help, 0.3 s for hash); generous for a loaded one. */
const BOUND_MS = 1_500;

/** The fastest of three runs, so one hiccup of a busy machine does not decide. */
async function fastest(args: string[]): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const result = await runNode(CLI, args, childEnv());
    times.push(performance.now() - started);
    expect(result.code, result.stderr).toBe(0);
  }
  return Math.min(...times);
}

describe('CLI start-up', () => {
  it.each([
    ['--help', ['--help']],
    ['alerts --help', ['alerts', '--help']],
    ['webhooks create --help', ['webhooks', 'create', '--help']],
    ['hash', ['hash', 'IP_RANGE', '203.0.113.7', '--key', TEST_FEDERATION_KEY_HEX]],
  ])('%s finishes in under 1.5 s: member commands load neither Nest nor Prisma', { timeout: 30_000 }, async (_name, args) => {
    expect(await fastest(args)).toBeLessThan(BOUND_MS);
  });

  it('loads Nest and Prisma only for operator commands', { timeout: 60_000 }, async () => {
    // A resolve hook (node:module register) reports every server package a command imports.
    const dir = mkdtempSync(join(tmpdir(), 'sigfed-startup-'));
    const hook = join(dir, 'hook.mjs');
    writeFileSync(
      hook,
      `export async function resolve(specifier, context, next) {
        if (/^@nestjs\\/|^@prisma\\/|generated\\/prisma/.test(specifier)) process.stderr.write('SERVER-IMPORT ' + specifier + '\\n');
        return next(specifier, context);
      }`,
    );
    const register = join(dir, 'register.mjs');
    writeFileSync(register, `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hook).href)});`);
    const imports = async (args: string[]) => {
      const result = await runNode(CLI, args, childEnv({ NODE_OPTIONS: `--import=${pathToFileURL(register).href}` }));
      return result.stderr.split('\n').filter((line) => line.startsWith('SERVER-IMPORT'));
    };
    try {
      for (const name of [
        'hash',
        'submit',
        'retract',
        'alerts',
        'alert',
        'keys',
        'rotate-key',
        'webhooks',
        'listen',
        'join',
        'invite',
        'admin',
      ]) {
        expect({ name, imports: await imports([name, '--help']) }).toEqual({ name, imports: [] });
      }
      expect(await imports(['--help'])).toEqual([]);
      // The hook does see them where they are used.
      expect((await imports(['migrate', '--help'])).length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
