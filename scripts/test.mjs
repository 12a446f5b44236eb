#!/usr/bin/env node
// `npm test`: builds (Prisma client + tsc, so type errors fail the suite and
// process-level tests can run dist/), then runs every Vitest project.
// Extra arguments go to Vitest: `npm test -- test/health.test.ts`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

const built = run(['scripts/build.mjs']);
if (built !== 0) process.exit(built);
// The `faults` project (long fault runs) is `npm run faults`'s, not part of the suite.
process.exit(run(['node_modules/vitest/vitest.mjs', 'run', '--project', 'unit', '--project', 'integration', ...process.argv.slice(2)]));
