import { existsSync } from 'node:fs';
import type { INestApplicationContext } from '@nestjs/common';
import { StartupError } from '@app/common';
import { ConfigError, loadConfig, type AppConfig } from '@app/config';
import { MigrationError } from '@app/database';

/** One line on stderr for an operator, in the same JSON shape as the logs. */
function fatal(role: string, message: string): void {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', time: Date.now(), role, msg: `sigfed ${role}: ${message}` })}\n`);
}

function startupLog(role: string): (line: string) => void {
  return (msg) => process.stdout.write(`${JSON.stringify({ level: 'info', time: Date.now(), role, msg })}\n`);
}

/** Converts any start-up failure into its one-line reason and exit code. */
export function explainStartupFailure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof ConfigError) return { message: error.message, exitCode: 2 };
  if (error instanceof StartupError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof MigrationError) return { message: error.message, exitCode: 1 };
  const e = error as Error;
  return { message: `failed to start: ${e?.message ?? String(error)}`, exitCode: 1 };
}

/** Loads `.env` from the working directory when there is one (Node's own parser). */
export function loadDotEnv(): void {
  if (existsSync('.env')) process.loadEnvFile('.env');
}

/**
 * Runs one role: loads and validates config, lets `start` build the app, and
 * on SIGTERM/SIGINT closes it (HTTP stops accepting, running jobs finish,
 * connections close) within SHUTDOWN_TIMEOUT_MS, then exits.
 */
export async function startProcess(
  role: string,
  start: (config: AppConfig, log: (line: string) => void) => Promise<INestApplicationContext>,
): Promise<void> {
  let app: INestApplicationContext;
  let config: AppConfig;
  const log = startupLog(role);
  try {
    loadDotEnv();
    config = loadConfig();
    app = await start(config, log);
  } catch (error) {
    const { message, exitCode } = explainStartupFailure(error);
    fatal(role, message);
    process.exit(exitCode);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`received ${signal}, shutting down`);
    const timer = setTimeout(() => {
      fatal(role, `shutdown took longer than ${config.shutdownTimeoutMs} ms; exiting anyway`);
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    app
      .close()
      .then(() => {
        log('shutdown complete');
        process.exit(0);
      })
      .catch((error: Error) => {
        fatal(role, `error during shutdown: ${error.message}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
