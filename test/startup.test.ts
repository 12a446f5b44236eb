import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adminDatabaseUrl, databaseUrlFor, dropDatabase } from './support/databases.js';
import { childEnv, distEntry, RunningProcess, runNode } from './support/processes.js';
import { freePort, isPortFree, migrationsDir } from '@app/common';
import { connectPg, readMigrations } from '@app/database';

const API = distEntry('apps/api/src/main.js');
const CLI = distEntry('apps/cli/src/main.js');

/** Only the last line of stderr that a process printed before it exited. */
const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';

describe('starting up', () => {
  const created: string[] = [];
  afterAll(async () => {
    for (const name of created) await dropDatabase(name);
  });

  it('names every bad variable in one line and exits 2', async () => {
    const result = await runNode(API, [], childEnv({ PORT: 'eighty', REDIS_URL: 'http://nope', NODE_ENV: 'staging' }));
    expect(result.code).toBe(2);
    const line = lastLine(result.stderr);
    expect(line).toContain('invalid configuration');
    expect(line).toContain('PORT');
    expect(line).toContain('REDIS_URL must be a redis:// or rediss:// URL');
    expect(line).toContain('NODE_ENV');
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses to start when Postgres is unreachable, naming the URL and how to start it', async () => {
    const port = await freePort();
    const result = await runNode(API, [], childEnv({ DATABASE_URL: `postgresql://postgres:secret@127.0.0.1:${port}/sigfed` }));
    expect(result.code).toBe(1);
    const line = lastLine(result.stderr);
    expect(line).toContain(`cannot reach PostgreSQL at postgresql://postgres:***@127.0.0.1:${port}/sigfed`);
    expect(line).toContain('start PostgreSQL');
    expect(line).not.toContain('secret');
  });

  it('refuses to start when Redis is unreachable, naming the URL and how to start it', async () => {
    const port = await freePort();
    const result = await runNode(API, [], childEnv({ REDIS_URL: `redis://127.0.0.1:${port}` }));
    expect(result.code).toBe(1);
    expect(lastLine(result.stderr)).toContain(`cannot reach Redis at redis://127.0.0.1:${port}`);
    expect(lastLine(result.stderr)).toContain('redis-server');
  });

  it('says which migrations are pending when told not to migrate', async () => {
    const name = `${process.env.DATABASE_URL!.split('/').pop()}_empty`;
    created.push(name);
    const admin = await connectPg(adminDatabaseUrl());
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const result = await runNode(API, [], childEnv({ DATABASE_URL: databaseUrlFor(name), MIGRATE_ON_START: 'false' }));
    expect(result.code).toBe(1);
    const all = readMigrations(migrationsDir()).map((m) => m.name);
    expect(lastLine(result.stderr)).toContain(`${all.length} migration(s) pending (${all.join(', ')})`);
    expect(lastLine(result.stderr)).toContain('npm run cli -- migrate');
  });

  it('`serve` creates the database, migrates, runs API and worker, and stops cleanly on SIGTERM', async () => {
    const name = `${process.env.DATABASE_URL!.split('/').pop()}_serve`;
    created.push(name);
    const [port, workerPort] = [await freePort(), await freePort()];
    const server = RunningProcess.start(
      CLI,
      ['serve'],
      childEnv({
        DATABASE_URL: databaseUrlFor(name),
        DATABASE_AUTO_CREATE: 'true',
        MIGRATE_ON_START: 'true',
        PORT: String(port),
        WORKER_PORT: String(workerPort),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
      }),
    );
    try {
      await server.waitForOk(`http://127.0.0.1:${port}/readyz`, 60_000);
      await server.waitForOk(`http://127.0.0.1:${workerPort}/readyz`, 60_000);
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ serverInfo { issuer } }' }),
      });
      expect(((await res.json()) as { data: unknown }).data).toEqual({ serverInfo: { issuer: `http://localhost:${port}` } });
    } finally {
      server.kill('SIGTERM');
    }
    const finished = await server.exited;
    expect(finished.code).toBe(0);
    expect(finished.stdout).toContain('created database');
    expect(finished.stdout).toContain('applied migration 20261126000000_init');
    // Both roles log their orderly shutdown.
    expect(finished.stdout.match(/shutdown complete/g)?.length).toBe(2);
  }, 90_000);

  it('`serve` with API_PROCESSES=2: both API processes answer on one port, each has its metrics port, SIGTERM stops all', async () => {
    const port = await freePort();
    // The second API and worker listen one port above the first's.
    const pairFree = async () => {
      let first = await freePort();
      while (!(await isPortFree(first + 1))) first = await freePort();
      return first;
    };
    const [metricsPort, workerPort] = [await pairFree(), await pairFree()];
    const server = RunningProcess.start(
      CLI,
      ['serve'],
      childEnv({
        API_PROCESSES: '2',
        WORKER_PROCESSES: '2',
        PORT: String(port),
        WORKER_PORT: String(workerPort),
        METRICS_PORT: String(metricsPort),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        DATA_DIR: mkdtempSync(join(tmpdir(), 'sigfed-serve-2-')),
      }),
    );
    const servedBy = async (metrics: number) => {
      const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
      return [...text.matchAll(/^sigfed_http_requests_total\{[^}]*route="\/graphql"[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    try {
      // Four processes starting at once on a small machine: give them longer than one pair needs.
      await server.waitForOk(`http://127.0.0.1:${port}/readyz`, 120_000);
      for (const p of [metricsPort, metricsPort + 1]) await server.waitForOk(`http://127.0.0.1:${p}/metrics`, 60_000);
      for (const p of [workerPort, workerPort + 1]) await server.waitForOk(`http://127.0.0.1:${p}/readyz`, 60_000);
      // A new connection per request: node:cluster hands connections, not requests, to the processes in turn.
      for (let i = 0; i < 20; i++) expect(await serverInfoOnNewConnection(port)).toBe(`http://localhost:${port}`);
      const counts = [await servedBy(metricsPort), await servedBy(metricsPort + 1)];
      expect(counts[0] + counts[1]).toBe(20);
      expect(Math.min(...counts)).toBeGreaterThanOrEqual(5);
    } finally {
      server.kill('SIGTERM');
    }
    const finished = await server.exited;
    expect(finished.code).toBe(0);
    expect(finished.stdout).toContain('running 2 API and 2 worker process(es)');
    // Every one of the four logs its orderly shutdown, and nothing answers any more.
    expect(finished.stdout.match(/shutdown complete/g)?.length).toBe(4);
    for (const p of [port, metricsPort, metricsPort + 1, workerPort, workerPort + 1]) expect(await isPortFree(p)).toBe(true);
  }, 240_000);

  it('`npm start` under a process manager: SIGTERM to npm stops the launcher, API and worker', async () => {
    const name = `${process.env.DATABASE_URL!.split('/').pop()}_npm_start`;
    created.push(name);
    const [port, workerPort] = [await freePort(), await freePort()];
    // --ignore-scripts skips the prestart build: the suite has built dist/ already.
    const server = RunningProcess.command(
      'npm',
      ['start', '--silent', '--ignore-scripts'],
      childEnv({
        DATABASE_URL: databaseUrlFor(name),
        DATABASE_AUTO_CREATE: 'true',
        MIGRATE_ON_START: 'true',
        PORT: String(port),
        WORKER_PORT: String(workerPort),
        HOST: '127.0.0.1',
        // Its own data directory: the serve test above wrote the first admin's credential into the shared one.
        DATA_DIR: mkdtempSync(join(tmpdir(), 'sigfed-npm-start-')),
      }),
    );
    try {
      await server.waitForOk(`http://127.0.0.1:${port}/readyz`, 60_000);
      await server.waitForOk(`http://127.0.0.1:${workerPort}/readyz`, 60_000);
    } finally {
      server.kill('SIGTERM');
    }
    await server.exited;
    // Nothing may keep answering once npm itself is gone (before: launcher, API and worker ran on, orphaned).
    const answers = async (url: string) =>
      fetch(url).then(
        () => true,
        () => false,
      );
    const deadline = Date.now() + 15_000;
    while (
      Date.now() < deadline &&
      ((await answers(`http://127.0.0.1:${port}/readyz`)) || (await answers(`http://127.0.0.1:${workerPort}/readyz`)))
    ) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await answers(`http://127.0.0.1:${port}/readyz`)).toBe(false);
    expect(await answers(`http://127.0.0.1:${workerPort}/readyz`)).toBe(false);
  }, 90_000);

  it('`npm start` does not rebuild when nothing changed since the last build', async () => {
    // The suite built dist/ before it started; nothing has changed since. (--check decides as prestart's build does, building nothing.)
    const started = Date.now();
    const result = await runNode('scripts/build.mjs', ['--check'], childEnv());
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('build: up to date');
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

/** Whether nothing listens on the loopback port (we can bind it). */
/** `serverInfo.issuer`, asked over a connection of its own (no keep-alive). */
function serverInfoOnNewConnection(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', connection: 'close' },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        res.on('end', () => resolve((JSON.parse(body) as { data: { serverInfo: { issuer: string } } }).data.serverInfo.issuer));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ query: '{ serverInfo { issuer } }' }));
  });
}
