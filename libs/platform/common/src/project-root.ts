import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The repository (or image) root: the nearest folder above this file whose
 * package.json is Sigfed's. The same answer from sources and from dist/.
 */
export function projectRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'sigfed') {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the sigfed project root');
    dir = parent;
  }
}

/** prisma/migrations under the project root. */
export function migrationsDir(): string {
  return join(projectRoot(), 'prisma', 'migrations');
}
