import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, isPortFree, projectRoot } from '@app/common';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident memory of a process in bytes (VmRSS), or undefined once it is gone. */
export function rssOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** Polls `check` every 100 ms until it holds; throws `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

const TAIL_BYTES = 64 * 1024;

/**
 * One API or worker process of the compiled build (dist/), restartable with
 * the same port and environment, as a supervisor would restart it. Output
 * goes to a log file; the last 64 KiB are kept for error messages.
 */
export class RoleProcess {
  private child?: ChildProcess;
  private log?: WriteStream;
  private tail = '';
  private exit?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** How many times the process was started. */
  starts = 0;

  constructor(
    readonly role: 'api' | 'worker',
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly runDir: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  /** What the process printed most recently (for failure messages). */
  get output(): string {
    return this.tail;
  }

  /** Starts the process (again) and waits until /readyz answers 200. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.running) throw new Error(`${this.role} is already running`);
    this.starts++;
    const entry = join(projectRoot(), 'dist', 'apps', this.role, 'src', 'main.js');
    // METRICS_PORT 0: several stacks may run on one host at once.
    const portVar = this.role === 'api' ? { PORT: String(this.port), METRICS_PORT: '0' } : { WORKER_PORT: String(this.port) };
    // cwd is the run directory, so a developer's .env in the repository cannot leak in.
    const child = spawn(process.execPath, [entry], {
      env: { ...this.env, ...portVar },
      cwd: this.runDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.log ??= createWriteStream(join(this.runDir, `${this.role}.log`), { flags: 'a' });
    const keep = (chunk: Buffer) => {
      this.log?.write(chunk);
      this.tail = (this.tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    await waitFor(
      async () => {
        if (!this.running) throw new Error('exited');
        return (await fetch(`${this.url}/readyz`)).ok;
      },
      `${this.role} ready`,
      timeoutMs,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; its output:\n${this.tail}`);
    });
  }

  /** Sends `signal` and waits (bounded) for the process to exit; SIGKILL if it outlives the bound. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    const exit = this.exit;
    if (!child || !exit) return { code: null, signal: null };
    if (this.running) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      return await exit;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the process for good and closes its log. */
  async close(): Promise<void> {
    await this.stop('SIGTERM', 15_000);
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
    this.log = undefined;
  }

  /** The readiness answer: 200 and the checks, or the error. */
  async ready(): Promise<boolean> {
    try {
      return (await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2_000) })).ok;
    } catch {
      return false;
    }
  }
}

/**
 * A redis-server of our own on a free loopback port, without persistence,
 * so it can be killed and restarted empty without touching the machine's
 * shared Redis.
 */
export class PrivateRedis {
  private child?: ChildProcess;
  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it (empty) if it is not running, and waits until it answers. */
  async restart(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) {
      this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
    }
    const { Redis } = await import('ioredis');
    await waitFor(
      async () => {
        const probe = new Redis(this.port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
        probe.on('error', () => undefined);
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } finally {
          probe.disconnect();
        }
      },
      `redis-server on port ${this.port}`,
      15_000,
    );
  }

  /** SIGKILL: everything in it is gone, as after a crash of a Redis without persistence. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * A Redis Cluster of our own: six redis-servers on free loopback ports, in a
 * temporary directory, joined by `redis-cli --cluster create` into three
 * masters with one replica each. Nodes time out after a second, so a killed
 * master's replica takes over within a few seconds.
 */
export class PrivateRedisCluster {
  private readonly children = new Map<number, ChildProcess>();

  private constructor(
    readonly ports: number[],
    private readonly dir: string,
  ) {}

  static async start(nodes = 6): Promise<PrivateRedisCluster> {
    const ports: number[] = [];
    // A cluster node also listens on port + 10000 (its bus): both must be free.
    while (ports.length < nodes) {
      const port = await freePort();
      if (port <= 55535 && !ports.includes(port) && (await isPortFree(port + 10000))) ports.push(port);
    }
    const cluster = new PrivateRedisCluster(ports, mkdtempSync(join(tmpdir(), 'sigfed-redis-cluster-')));
    try {
      for (const port of ports) cluster.spawnNode(port);
      for (const port of ports) await cluster.waitPing(port);
      await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], {
        timeout: 30_000,
      });
      await waitFor(async () => (await cluster.healthy()) === true, 'cluster_state:ok on every node', 20_000);
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** REDIS_CLUSTER_NODES for the application. */
  get seeds(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(',');
  }

  /** Ports of the nodes still running. */
  get alive(): number[] {
    return this.ports.filter((p) => this.isRunning(p));
  }

  /** `redis-cli -p port args...`, its output trimmed. */
  async cli(port: number, ...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5_000 });
    return stdout.trim();
  }

  /** Whether every running node reports cluster_state:ok and every slot served by a live master. */
  async healthy(): Promise<boolean> {
    for (const port of this.alive) {
      if (!(await this.cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
    }
    const master = await this.masterOf(0).catch(() => undefined);
    return master !== undefined;
  }

  /** The port of the live master serving `slot`, as a running node sees the cluster. */
  async masterOf(slot: number): Promise<number> {
    const lines = (await this.cli(this.alive[0], 'CLUSTER', 'NODES')).split('\n');
    for (const line of lines) {
      const [, address, flags, , , , , state, ...ranges] = line.split(' ');
      if (!flags.split(',').includes('master') || flags.includes('fail') || state !== 'connected') continue;
      const port = Number(/:(\d+)@/.exec(address)?.[1]);
      for (const range of ranges) {
        const [from, to = from] = range.split('-').map(Number);
        if (slot >= from && slot <= to && this.isRunning(port)) return port;
      }
    }
    throw new Error(`no live master serves slot ${slot}`);
  }

  /** The slot a key hashes to. */
  async slotOf(key: string): Promise<number> {
    return Number(await this.cli(this.alive[0], 'CLUSTER', 'KEYSLOT', key));
  }

  /** SIGKILL one node (no persistence: what it held is gone unless a replica has it). */
  async kill(port: number): Promise<void> {
    const child = this.children.get(port);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Kills every node and removes the directory. */
  async close(): Promise<void> {
    for (const port of this.ports) await this.kill(port);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private isRunning(port: number): boolean {
    const child = this.children.get(port);
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  private spawnNode(port: number): void {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir];
    args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(this.dir, `nodes-${port}.conf`), '--cluster-node-timeout', '1000');
    this.children.set(port, spawn('redis-server', args, { stdio: 'ignore' }));
  }

  private async waitPing(port: number): Promise<void> {
    await waitFor(async () => (await this.cli(port, 'PING')) === 'PONG', `redis-server on port ${port}`, 15_000);
  }
}

const PG_BIN = process.env.SIGFED_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Whether this machine has the PostgreSQL server binaries a private cluster needs. */
export function privatePostgresAvailable(): boolean {
  return existsSync(`${PG_BIN}/initdb`) && existsSync(`${PG_BIN}/pg_ctl`);
}

/**
 * A PostgreSQL cluster of our own (initdb into a temporary directory, as
 * the `postgres` OS user, trust authentication, loopback only), so a test
 * can stop and start the database server without touching the machine's.
 */
export class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** A URL for `database` on this cluster. */
  url(database: string): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** initdb and start. Needs to run as root (or as `postgres`) on a machine with PostgreSQL installed. */
  static async create(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'sigfed-pg-'));
    const pg = new PrivatePostgres(dir, await freePort());
    try {
      if (process.getuid?.() === 0) chownSync(dir, ...postgresIds());
      await pg.asPostgres(`${PG_BIN}/initdb`, [
        '-D',
        pg.dataDir,
        '-A',
        'trust',
        '-U',
        'postgres',
        '-E',
        'UTF8',
        '--no-sync',
        '--no-instructions',
      ]);
      await pg.start();
      return pg;
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    await this.asPostgres(`${PG_BIN}/pg_ctl`, [
      '-D',
      this.dataDir,
      '-o',
      options,
      '-l',
      join(this.dir, 'postgres.log'),
      '-w',
      '-t',
      '30',
      'start',
    ]);
  }

  /**
   * Stops the server. `immediate` is a crash as far as clients and the
   * server are concerned (no goodbye to clients, crash recovery at the next
   * start); committed work survives it.
   */
  async stop(mode: 'fast' | 'immediate' = 'immediate'): Promise<void> {
    await this.asPostgres(`${PG_BIN}/pg_ctl`, ['-D', this.dataDir, '-m', mode, '-w', '-t', '30', 'stop']);
  }

  /** Stops the server if it runs and deletes the cluster. */
  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async asPostgres(binary: string, args: string[]): Promise<void> {
    const root = process.getuid?.() === 0;
    const [cmd, argv] = root ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
    try {
      await run(cmd, argv, { timeout: 60_000 });
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${binary.split('/').pop()} ${args.at(-1)} failed: ${e.stderr || e.stdout || e.message}`);
    }
  }
}

function postgresIds(): [number, number] {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('no `postgres` OS user: install PostgreSQL to run a private cluster');
  const [, , uid, gid] = line.split(':');
  return [Number(uid), Number(gid)];
}
