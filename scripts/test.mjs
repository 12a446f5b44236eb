#!/usr/bin/env node
// `npm test`: builds (Prisma client + tsc, so process-level tests can run
// dist/), checks types of everything (tests and specs included), lints,
// checks the format (Prettier), then runs the Vitest projects. Any failing
// step fails the suite.
// Extra arguments go to Vitest: `npm test -- test/health.test.ts` (then only the build runs first).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

const vitestArgs = process.argv.slice(2);
// A run of chosen files (`npm test -- <files>`) is for iterating: it builds but leaves the whole-tree checks to the full run.
const checks = [
  ['scripts/build.mjs'],
  ...(vitestArgs.length > 0
    ? []
    : [
        ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit'],
        ['node_modules/eslint/bin/eslint.js', '.'],
        ['node_modules/prettier/bin/prettier.cjs', '--check', '.'],
      ]),
];
for (const check of checks) {
  const status = run(check);
  if (status !== 0) {
    console.error(`npm test: stopped at ${check.join(' ')}`);
    process.exit(status);
  }
}
// The `faults` project (long fault runs) is `npm run faults`'s, not part of the suite. The `timing`
// project measures latency under load, so it runs after the others, alone.
const vitest = (...projects) => ['node_modules/vitest/vitest.mjs', 'run', ...projects.flatMap((p) => ['--project', p]), ...vitestArgs];
if (vitestArgs.length > 0) process.exit(run(vitest('unit', 'integration', 'timing')));
const suite = run(vitest('unit', 'integration'));
const timing = run(vitest('timing'));
process.exit(suite || timing);
