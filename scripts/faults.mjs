#!/usr/bin/env node
// `npm run faults`: builds, then runs every fault test (test/faults/) in its
// long form: the worker SIGKILLed mid-correlation and again and again under
// load, Redis restarted under load, Postgres stopped for ten seconds. One
// file at a time (each starts its own API, worker and sometimes a private
// Redis or PostgreSQL). Extra arguments go to Vitest:
// `npm run faults -- test/faults/postgres-outage.test.ts`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (args, env = process.env) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env }).status ?? 1;

const built = run(['scripts/build.mjs']);
if (built !== 0) process.exit(built);
const files = process.argv.slice(2).some((a) => !a.startsWith('-')) ? [] : ['test/faults/'];
process.exit(
  run(
    [
      'node_modules/vitest/vitest.mjs',
      'run',
      '--project',
      'faults',
      '--maxWorkers',
      '1',
      '--testTimeout',
      '600000',
      ...files,
      ...process.argv.slice(2),
    ],
    { ...process.env, SIGFED_FAULTS: 'long' },
  ),
);
