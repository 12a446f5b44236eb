#!/usr/bin/env node
// Generates the Prisma client. `prisma generate` does not need the native
// schema engine, but the CLI refuses to start without one; on machines that
// cannot download it, point PRISMA_SCHEMA_ENGINE_BINARY at any existing file.
// Only when unset, so an online machine keeps Prisma's normal behaviour.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
const result = spawnSync(process.execPath, ['node_modules/prisma/build/index.js', 'generate'], {
  cwd: root,
  env,
  stdio: ['ignore', 'pipe', 'pipe'],
});
if (result.status !== 0) {
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exit(result.status ?? 1);
}
