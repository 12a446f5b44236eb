#!/usr/bin/env node
// Generates the Prisma client, compiles with tsc (decorator metadata needs it)
// and rewrites the @app/* path aliases in dist/ to relative imports.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const steps = [
  ['node', ['scripts/prisma-generate.mjs']],
  ['node', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']],
  ['node', ['node_modules/tsc-alias/dist/bin/index.js', '-p', 'tsconfig.build.json', '--resolve-full-paths']],
];
for (const [cmd, args] of steps) {
  const result = spawnSync(cmd === 'node' ? process.execPath : cmd, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build failed at: ${[cmd, ...args].join(' ')}`);
    process.exit(result.status ?? 1);
  }
}
