import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadConfig } from '@app/config';
import { prepareDependencies } from '@app/runtime';
import { SERVER_NODE_FLAGS, serverProcessEnv } from './serve.flags.js';

const ROLES = {
  api: fileURLToPath(new URL('../../../api/src/main.js', import.meta.url)),
  worker: fileURLToPath(new URL('../../../worker/src/main.js', import.meta.url)),
} as const;

function log(msg: string): void {
  process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), role: 'launcher', msg })}\n`);
}

/**
 * `serve` (what `npm start` runs): prepares the database once, then runs the
 * API and the worker as two processes, as a deployment would. SIGTERM/SIGINT
 * are passed on; if one role dies the other is stopped and serve exits non-zero.
 */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('prepare the database, then run the API and worker roles together')
    .action(async () => {
      const config = loadConfig();
      await prepareDependencies(config, log);
      for (const hook of beforeServeHooks) await hook(config, log);

      const env = serverProcessEnv({ ...process.env, MIGRATE_ON_START: 'false', DATABASE_AUTO_CREATE: 'false' });
      // The launcher's own node flags come last, so they override these (the last of a flag wins).
      const execArgv = [...SERVER_NODE_FLAGS, ...process.execArgv.filter((flag) => !SERVER_NODE_FLAGS.includes(flag))];
      const children = new Map<string, ChildProcess>();
      let stopping = false;
      let exitCode = 0;
      const stopAll = (signal: NodeJS.Signals) => {
        stopping = true;
        for (const child of children.values()) child.kill(signal);
      };
      await new Promise<void>((resolve) => {
        for (const [role, script] of Object.entries(ROLES)) {
          const child = fork(script, [], { env, execArgv, stdio: 'inherit' });
          children.set(role, child);
          child.on('exit', (code, signal) => {
            children.delete(role);
            if (!stopping) {
              log(`${role} exited unexpectedly (${signal ?? `code ${code}`}); stopping the other role`);
              exitCode = 1;
              stopAll('SIGTERM');
            }
            if (children.size === 0) resolve();
          });
        }
        process.on('SIGTERM', () => stopAll('SIGTERM'));
        process.on('SIGINT', () => stopAll('SIGINT'));
      });
      process.exitCode = exitCode;
    });
}

/** Steps other modules add to `serve` after migrations, e.g. creating the first admin. */
export const beforeServeHooks: Array<(config: ReturnType<typeof loadConfig>, log: (line: string) => void) => Promise<void>> = [];
