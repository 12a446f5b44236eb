#!/usr/bin/env node
// Generates the Prisma client, compiles with tsc (decorator metadata needs it)
// and rewrites the @app/* path aliases in dist/ to relative imports. Skips all
// of it when nothing it reads changed since the last build (`--force` builds
// anyway; `--check` only says whether a build is needed, exiting 1 if so).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const STAMP = join(root, 'dist', '.build-stamp');
const INPUTS = ['apps', 'libs', 'bench', 'reliability', 'prisma', 'scripts', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

/** The newest modification time under `path`: files, and directories too, so a deleted file counts as a change. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'generated' || entry === 'dist') continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

const inputsChanged = Math.max(...INPUTS.map((input) => newest(join(root, input))));
if (!process.argv.includes('--force') && existsSync(STAMP) && statSync(STAMP).mtimeMs > inputsChanged) {
  console.log('build: up to date (nothing changed since the last build; --force rebuilds)');
  process.exit(0);
}
if (process.argv.includes('--check')) {
  console.log('build: needed (sources changed since the last build)');
  process.exit(1);
}
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
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
