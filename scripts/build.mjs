#!/usr/bin/env node
// Generates the Prisma client, compiles with tsc (decorator metadata needs it)
// and rewrites the @app/* path aliases in dist/ to relative imports. Skips all
// of it when nothing it reads changed since the last build (`--force` builds
// anyway; `--check` only says whether a build is needed, exiting 1 if so).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const STAMP = join(root, 'dist', '.build-stamp');
const INPUTS = ['apps', 'libs', 'bench', 'reliability', 'prisma', 'scripts', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

const SKIP = new Set(['node_modules', 'generated', 'dist']);

/** Every file under `path` (outputs and dependencies left out), with its modification time. */
function files(path, found = []) {
  if (!existsSync(path)) return found;
  const stat = statSync(path);
  if (!stat.isDirectory()) {
    found.push([path, stat.mtimeMs]);
    return found;
  }
  for (const entry of readdirSync(path).sort()) if (!SKIP.has(entry)) files(join(path, entry), found);
  return found;
}

// Up to date when no input is newer than the stamp and the set of inputs is the one built (a deleted file counts).
const inputs = INPUTS.flatMap((input) => files(join(root, input)));
const newest = Math.max(...inputs.map(([, mtime]) => mtime));
const fingerprint = createHash('sha256')
  .update(inputs.map(([path]) => path).join('\n'))
  .digest('hex');
const stamped = existsSync(STAMP) ? { mtime: statSync(STAMP).mtimeMs, fingerprint: readFileSync(STAMP, 'utf8').trim() } : undefined;
if (!process.argv.includes('--force') && stamped && stamped.mtime > newest && stamped.fingerprint === fingerprint) {
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
writeFileSync(STAMP, `${fingerprint}\n`);
