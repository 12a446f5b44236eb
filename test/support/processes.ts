import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, projectRoot } from '@app/common';

/** A compiled entry point (npm test builds dist/ before running Vitest). */
export function distEntry(relative: string): string {
  return join(projectRoot(), 'dist', relative);
}

/** The environment a spawned process should see: this file's database and prefix, plus overrides. */
export function childEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    REDIS_PREFIX: process.env.REDIS_PREFIX,
    DATA_DIR: process.env.DATA_DIR,
    METRICS_PORT: '0',
    ...overrides,
  };
}

/** Output and exit of a finished process. */
export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a compiled entry point to completion (bounded by timeoutMs). */
export function runNode(script: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env, cwd: projectRoot() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A long-running process whose output is collected, for tests that signal it. */
export class RunningProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Finished>;
  private constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d) => (this.stdout += d));
    child.stderr?.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr })),
    );
  }

  static start(script: string, args: string[], env: NodeJS.ProcessEnv): RunningProcess {
    return RunningProcess.command(process.execPath, [script, ...args], env);
  }

  /** Any program (`npm`, say), run from the project root unless `cwd` says otherwise. */
  static command(program: string, args: string[], env: NodeJS.ProcessEnv, cwd = projectRoot()): RunningProcess {
    return new RunningProcess(spawn(program, args, { env, cwd }));
  }

  /** Polls `url` until it answers 200 or the process exits or time runs out. */
  async waitForOk(url: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (Date.now() < deadline && !exited) {
      try {
        const res = await fetch(url);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${url} not ready (exited: ${exited})\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal);
  }
}
