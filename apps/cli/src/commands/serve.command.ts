import { fork, type ChildProcess } from 'node:child_process';
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadConfig, type AppConfig } from '@app/config';
import { prepareDependencies } from '@app/runtime';
import { SERVER_NODE_FLAGS, serverProcessEnv } from './serve.flags.js';

const ROLES = {
  api: fileURLToPath(new URL('../../../api/src/main.js', import.meta.url)),
  worker: fileURLToPath(new URL('../../../worker/src/main.js', import.meta.url)),
} as const;

function log(msg: string): void {
  process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), role: 'launcher', msg })}\n`);
}

/** One process to run: its name in the log, its role, and the variables that differ from the launcher's. */
interface Planned {
  name: string;
  role: keyof typeof ROLES;
  env: Record<string, string>;
}

/**
 * API_PROCESSES API processes and WORKER_PROCESSES workers. API processes
 * share PORT (node:cluster hands each new connection to the next process);
 * the per-process listeners are offset by the process's index: process i
 * serves metrics on METRICS_PORT + i (0 stays 0: any free port), worker i
 * answers on WORKER_PORT + i.
 */
export function planProcesses(config: AppConfig): Planned[] {
  const offset = (port: number, i: number) => String(port === 0 ? 0 : port + i);
  const plan: Planned[] = [];
  for (let i = 0; i < config.processes.api; i++) {
    plan.push({
      name: config.processes.api > 1 ? `api-${i + 1}` : 'api',
      role: 'api',
      env: { METRICS_PORT: offset(config.http.metricsPort, i) },
    });
  }
  for (let i = 0; i < config.processes.worker; i++) {
    plan.push({
      name: config.processes.worker > 1 ? `worker-${i + 1}` : 'worker',
      role: 'worker',
      env: { WORKER_PORT: offset(config.http.workerPort, i) },
    });
  }
  return plan;
}

/**
 * `serve` (what `npm start` runs): prepares the database once, then runs the
 * API and worker roles as separate processes (API_PROCESSES and
 * WORKER_PROCESSES of each, one by default), as a deployment would.
 * SIGTERM/SIGINT are passed on to all; if one process dies the others are
 * stopped and serve exits non-zero.
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
      // Several API processes on one port: this process becomes the node:cluster primary that owns the listening socket.
      const sharedPort = config.processes.api > 1;
      if (sharedPort) cluster.setupPrimary({ exec: ROLES.api, execArgv, args: [] });
      const plan = planProcesses(config);
      if (plan.length > 2) log(`running ${config.processes.api} API and ${config.processes.worker} worker process(es)`);
      const children = new Map<string, ChildProcess>();
      let stopping = false;
      let exitCode = 0;
      const stopAll = (signal: NodeJS.Signals) => {
        stopping = true;
        for (const child of children.values()) child.kill(signal);
      };
      await new Promise<void>((resolve) => {
        for (const { name, role, env: own } of plan) {
          const childEnv = { ...env, ...own };
          const child =
            role === 'api' && sharedPort
              ? cluster.fork(childEnv).process
              : fork(ROLES[role], [], { env: childEnv, execArgv, stdio: 'inherit' });
          children.set(name, child);
          child.on('exit', (code, signal) => {
            children.delete(name);
            if (!stopping) {
              log(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the others`);
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
