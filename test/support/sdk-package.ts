import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '@app/common';

const ROOT = projectRoot();
/** The SDK's package folder. */
export const SDK_DIR = join(ROOT, 'libs', 'sdk');

/** Output and exit of a finished program. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `program` in `cwd` with exactly `env` (bounded by timeoutMs). */
export function run(program: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${program} ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment of a lab's own processes: nothing of the server's (no database, no Redis). */
export function labEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, npm_config_update_notifier: 'false', ...extra };
}

/** Runs `npm pack` in the SDK's folder, writing the tarball to `destination`; returns its file name. */
export async function packSdk(destination: string): Promise<string> {
  const packed = await run('npm', ['pack', '--offline', '--silent', '--pack-destination', destination], SDK_DIR, labEnv(), 120_000);
  if (packed.code !== 0) throw new Error(`npm pack failed (${packed.code}):\n${packed.stderr}`);
  return packed.stdout.trim().split('\n').pop()!;
}

/**
 * A package-lock.json for a project that depends on the tarball alone, with the SDK's
 * dependencies pinned to the versions (and integrity hashes) the repository installed: npm then
 * installs from its cache, with no registry, as a lab's CI with a warm cache would.
 */
export function scratchLockfile(tarball: string, name = 'lab-integration'): object {
  const sdk = JSON.parse(readFileSync(join(SDK_DIR, 'package.json'), 'utf8')) as {
    version: string;
    license: string;
    dependencies: Record<string, string>;
  };
  const installed = (
    JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dependencies?: Record<string, string> }>;
    }
  ).packages;
  const packages: Record<string, object> = {
    '': { name, dependencies: { '@sigfed/sdk': `file:${tarball}` } },
    'node_modules/@sigfed/sdk': { version: sdk.version, resolved: `file:${tarball}`, license: sdk.license, dependencies: sdk.dependencies },
  };
  const todo = Object.keys(sdk.dependencies);
  for (let dep = todo.pop(); dep !== undefined; dep = todo.pop()) {
    const path = `node_modules/${dep}`;
    if (packages[path]) continue;
    const entry = installed[path];
    if (!entry) throw new Error(`${dep}, a dependency of the SDK, is not in the repository's package-lock.json`);
    packages[path] = entry;
    todo.push(...Object.keys(entry.dependencies ?? {}));
  }
  return { name, lockfileVersion: 3, requires: true, packages };
}

/**
 * Makes `folder` an ES-module project and installs the tarball (already in `folder`) into it,
 * offline from npm's cache, as `npm install ./<tarball>` would.
 */
export async function installSdk(folder: string, tarball: string, name = 'lab-integration'): Promise<Run> {
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  writeFileSync(join(folder, 'package-lock.json'), JSON.stringify(scratchLockfile(tarball, name)));
  const env = labEnv();
  let installed = await run('npm', ['install', `./${tarball}`, '--offline', '--no-audit', '--no-fund'], folder, env);
  // A machine whose npm cache lacks one of those tarballs (another cache folder) fetches it.
  if (installed.code !== 0 && installed.stderr.includes('ENOTCACHED')) {
    installed = await run('npm', ['install', `./${tarball}`, '--prefer-offline', '--no-audit', '--no-fund'], folder, env);
  }
  return installed;
}
