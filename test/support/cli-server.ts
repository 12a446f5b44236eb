import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, expect } from 'vitest';
import { TEST_FEDERATION_KEY_HEX } from '@app/sdk';
import { TestContext } from './context.js';
import { childEnv, distEntry, runNode } from './processes.js';
import { startWorker } from './webhooks.js';

const CLI = distEntry('apps/cli/src/main.js');

/** A server, a worker and a scratch folder holding the test federation key, for tests that drive the compiled CLI. */
export interface CliServer {
  readonly ctx: TestContext;
  readonly dir: string;
  readonly keyFile: string;
  /** Runs the CLI against the server and returns its stdout; a non-zero exit fails the test with both outputs. */
  cli(...args: string[]): Promise<string>;
}

/** Starts them in the suite's beforeAll and stops them in its afterAll. */
export function cliServer(prefix: string): CliServer {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let ctx: TestContext | undefined;
  let worker: INestApplication | undefined;
  beforeAll(async () => {
    ctx = await TestContext.start();
    worker = await startWorker();
    writeFileSync(join(dir, 'federation.key'), TEST_FEDERATION_KEY_HEX, { mode: 0o600 });
  });
  afterAll(async () => {
    await worker?.close();
    await ctx?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const server: CliServer = {
    get ctx() {
      if (!ctx) throw new Error('the CLI server starts in beforeAll');
      return ctx;
    },
    dir,
    keyFile: join(dir, 'federation.key'),
    async cli(...args) {
      const result = await runNode(CLI, args, childEnv({ PUBLIC_BASE_URL: server.ctx.url }), 60_000);
      expect(result.code, `${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
      return result.stdout;
    },
  };
  return server;
}
