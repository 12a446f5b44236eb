#!/usr/bin/env node
// Generates the Prisma client, compiles with tsc (decorator metadata needs it)
// and rewrites the @app/* path aliases in dist/ to relative imports; then
// type-checks the web console and bundles it with Vite into dist/console.
// Skips each part when nothing it reads changed since its last build
// (`--force` builds anyway; `--check` only says whether a build is needed,
// exiting 1 if so).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const STAMP = join(root, 'dist', '.build-stamp');
const INPUTS = ['apps', 'libs', 'bench', 'reliability', 'prisma', 'scripts', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

const SKIP = new Set(['node_modules', 'generated', 'dist']);
// The console is a browser app with its own compiler settings and stamp (below).
const CONSOLE = join(root, 'apps', 'console');
const CONSOLE_STAMP = join(root, 'dist', 'console', '.build-stamp');
const CONSOLE_INPUTS = ['apps/console', 'package-lock.json'];

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

/** Whether the inputs changed since `stamp` was written (a deleted file counts), and the fingerprint to stamp. */
function changedSince(stamp, inputs) {
  const newest = Math.max(...inputs.map(([, mtime]) => mtime));
  const fingerprint = createHash('sha256')
    .update(inputs.map(([path]) => path).join('\n'))
    .digest('hex');
  const stamped = existsSync(stamp) ? { mtime: statSync(stamp).mtimeMs, fingerprint: readFileSync(stamp, 'utf8').trim() } : undefined;
  const changed = process.argv.includes('--force') || !stamped || stamped.mtime <= newest || stamped.fingerprint !== fingerprint;
  return { changed, fingerprint };
}

/** Runs each step, stopping the build at the first that fails. */
function run(steps) {
  for (const [cmd, args] of steps) {
    const result = spawnSync(cmd === 'node' ? process.execPath : cmd, args, { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) {
      console.error(`build failed at: ${[cmd, ...args].join(' ')}`);
      process.exit(result.status ?? 1);
    }
  }
}

// Up to date when no input is newer than the stamp and the set of inputs is the one built.
const server = changedSince(
  STAMP,
  INPUTS.flatMap((input) => files(join(root, input))).filter(([path]) => !path.startsWith(CONSOLE)),
);
const web = changedSince(
  CONSOLE_STAMP,
  CONSOLE_INPUTS.flatMap((input) => files(join(root, input))),
);
if (!server.changed && !web.changed) {
  console.log('build: up to date (nothing changed since the last build; --force rebuilds)');
  process.exit(0);
}
if (process.argv.includes('--check')) {
  console.log('build: needed (sources changed since the last build)');
  process.exit(1);
}
if (server.changed) {
  run([
    ['node', ['scripts/prisma-generate.mjs']],
    ['node', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']],
    ['node', ['node_modules/tsc-alias/dist/bin/index.js', '-p', 'tsconfig.build.json', '--resolve-full-paths']],
  ]);
  writeFileSync(STAMP, `${server.fingerprint}\n`);
}
if (web.changed) {
  // Vite does not type-check; tsc does, with the console's browser settings. Vite works offline.
  run([
    ['node', ['node_modules/typescript/bin/tsc', '-p', 'apps/console/tsconfig.json', '--noEmit']],
    ['node', ['node_modules/vite/bin/vite.js', 'build', '--config', 'apps/console/vite.config.ts', '--logLevel', 'warn']],
  ]);
  writeFileSync(CONSOLE_STAMP, `${web.fingerprint}\n`);
}
