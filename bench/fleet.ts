import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, projectRoot } from '@app/common';
import { databaseName } from '@app/database';
import { SERVER_NODE_FLAGS, serverProcessEnv } from '../apps/cli/src/commands/serve.flags.js';
import { sleep } from './stats.js';

/** Resident memory of a process from /proc: now (VmRSS) and its high-water mark since start (VmHWM). */
export function memoryOf(pid: number): { rssBytes: number; hwmBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const TICKS = 100;

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds used so far by each PostgreSQL process that works for the
 * bench database: its backends (their title names the database) and the
 * server's shared background processes (WAL writer, checkpointer,
 * autovacuum...). Backends of other databases on the same server are left
 * out, so other work on the machine does not count.
 */
export function postgresCpu(database: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const backend = /\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/.test(title);
      if (!backend || title.includes(` ${database} `)) out.set(Number(entry), cpuSecondsOf(Number(entry)));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** CPU seconds used between two postgresCpu readings; processes that ended in between are not counted. */
export function postgresCpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return Math.max(0, total);
}

const dist = (entry: string) => join(projectRoot(), 'dist', entry);

/** One running API or worker process of the compiled build. */
export class RoleProcess {
  private exitCode: number | null | undefined = undefined;
  readonly exited: Promise<void>;
  /** Highest VmRSS sampled while a 10,000-item batch was in flight. */
  peakSampledRss = 0;
  /** VmRSS right after the process became ready. */
  idleRss = 0;

  constructor(
    readonly role: 'api' | 'worker',
    readonly index: number,
    readonly child: ChildProcess,
    readonly port: number,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        this.exitCode = code;
        resolve();
      }),
    );
  }

  get name(): string {
    return `${this.role}-${this.index + 1}`;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  memory(): { rssBytes: number; hwmBytes: number } {
    return memoryOf(this.child.pid as number);
  }

  cpuSeconds(): number {
    return cpuSecondsOf(this.child.pid as number);
  }

  /** Polls /readyz until it answers 200; fails fast if the process exits. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited with code ${this.exitCode} during start; see ${this.logFile}`);
      try {
        const res = await fetch(`${this.url}/readyz`);
        if (res.ok) {
          this.idleRss = this.memory().rssBytes;
          return;
        }
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`${this.name} not ready after ${timeoutMs / 1000} s; see ${this.logFile}`);
  }
}

/** CPU by role: microseconds per item, or (CpuReading) seconds so far. */
export interface CpuSnapshot {
  api: number;
  worker: number;
  postgres: number;
}
export interface CpuReading {
  api: number;
  worker: number;
  postgres: Map<number, number>;
}

/** CPU used between two readings, in microseconds per item. */
export function cpuPerItem(before: CpuReading, after: CpuReading, items: number): CpuSnapshot {
  const us = (seconds: number) => (seconds * 1e6) / items;
  return {
    api: us(after.api - before.api),
    worker: us(after.worker - before.worker),
    postgres: us(postgresCpuBetween(before.postgres, after.postgres)),
  };
}

/** What every process of the fleet shares. */
export interface FleetOptions {
  processes: number;
  env: Record<string, string>;
  runDir: string;
  /** Extra node flags for the API processes (e.g. --cpu-prof), after SERVER_NODE_FLAGS. */
  apiNodeArgs?: string[];
  workerNodeArgs?: string[];
}

/**
 * The API and worker processes under test: `processes` of each role, from
 * dist/, each with its own port and log file, all sharing one database,
 * Redis prefix, master key and issuer URL, as replicas behind a load
 * balancer would.
 */
export class Fleet {
  private constructor(
    readonly apis: RoleProcess[],
    readonly workers: RoleProcess[],
    readonly env: Record<string, string>,
  ) {}

  /** The issuer (PUBLIC_BASE_URL): the first API's address. */
  get issuer(): string {
    return this.env.PUBLIC_BASE_URL;
  }

  get all(): RoleProcess[] {
    return [...this.apis, ...this.workers];
  }

  static async start(options: FleetOptions): Promise<Fleet> {
    const apiPorts: number[] = [];
    for (let i = 0; i < options.processes; i++) apiPorts.push(await freePort());
    const env = { ...options.env, PUBLIC_BASE_URL: `http://127.0.0.1:${apiPorts[0]}` };
    const apis: RoleProcess[] = [];
    const workers: RoleProcess[] = [];
    for (let i = 0; i < options.processes; i++) {
      apis.push(
        launch(
          'api',
          i,
          apiPorts[i],
          { ...env, PORT: String(apiPorts[i]), WORKER_PORT: '0', METRICS_PORT: '0' },
          options.runDir,
          options.apiNodeArgs,
        ),
      );
    }
    for (let i = 0; i < options.processes; i++) {
      const port = await freePort();
      workers.push(launch('worker', i, port, { ...env, WORKER_PORT: String(port) }, options.runDir, options.workerNodeArgs));
    }
    const fleet = new Fleet(apis, workers, env);
    try {
      await Promise.all(fleet.all.map((p) => p.waitReady()));
    } catch (error) {
      await fleet.stop();
      throw error;
    }
    return fleet;
  }

  /**
   * One more API process like the others (same database, Redis prefix, master
   * key and issuer), on a port of its own; stopped with the rest.
   */
  async addApi(runDir: string, nodeArgs: string[] = []): Promise<RoleProcess> {
    const index = this.apis.length;
    const port = await freePort();
    const api = launch('api', index, port, { ...this.env, PORT: String(port), WORKER_PORT: '0', METRICS_PORT: '0' }, runDir, nodeArgs);
    this.apis.push(api);
    await api.waitReady();
    return api;
  }

  /** The same processes, with only the first `count` API processes taking requests (a measurement's view). */
  withApis(count: number): Fleet {
    return new Fleet(this.apis.slice(0, count), this.workers, this.env);
  }

  /** CPU seconds used so far: by the API processes, the workers, and PostgreSQL for the bench database. */
  cpu(): CpuReading {
    const sum = (ps: RoleProcess[]) => ps.reduce((n, p) => n + p.cpuSeconds(), 0);
    return { api: sum(this.apis), worker: sum(this.workers), postgres: postgresCpu(databaseName(this.env.DATABASE_URL)) };
  }

  /** Samples every process's VmRSS into peakSampledRss. */
  sampleRss(): void {
    for (const p of this.all) {
      if (p.running) p.peakSampledRss = Math.max(p.peakSampledRss, p.memory().rssBytes);
    }
  }

  /** SIGTERM to all, SIGKILL to any still running after 30 s. */
  async stop(): Promise<void> {
    const running = this.all.filter((p) => p.running);
    for (const p of running) p.child.kill('SIGTERM');
    const timeout = sleep(30_000).then(() => 'timeout');
    if ((await Promise.race([Promise.all(running.map((p) => p.exited)), timeout])) === 'timeout') {
      for (const p of running) if (p.running) p.child.kill('SIGKILL');
    }
  }

  /** Runs a CLI command of the compiled build with the fleet's environment (bounded in time). */
  async cli(args: string[], timeoutMs = 60_000): Promise<string> {
    const child = spawn(process.execPath, [dist('apps/cli/src/main.js'), ...args], { env: this.env, cwd: this.env.DATA_DIR });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(timer);
    if (code !== 0) throw new Error(`sigfed ${args.join(' ')} failed (exit ${code}):\n${out}`);
    return out;
  }
}

function launch(
  role: 'api' | 'worker',
  index: number,
  port: number,
  env: Record<string, string>,
  runDir: string,
  nodeArgs: string[] = [],
): RoleProcess {
  const logFile = join(runDir, `${role}-${index + 1}.log`);
  const log = createWriteStream(logFile);
  const entry = role === 'api' ? 'apps/api/src/main.js' : 'apps/worker/src/main.js';
  // cwd is the run directory: a developer's .env in the repository must not leak into the measurement.
  // Production's node flags and environment (sigfed serve, the Dockerfile), so the bench measures what runs there.
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...nodeArgs, dist(entry)], {
    env: serverProcessEnv(env),
    cwd: env.DATA_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return new RoleProcess(role, index, child, port, logFile);
}
