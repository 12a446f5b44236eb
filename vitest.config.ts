import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';
import './test/setup/node20-polyfills.js';

/** Every library folder (libs/platform/<name>, libs/federation/<name>, libs/<name>), importable as @app/<name> as tsconfig.json's paths say. */
function libraryFolders(): { name: string; dir: string }[] {
  const libs = resolve(import.meta.dirname, 'libs');
  const groups = ['platform', 'federation'];
  return [
    ...groups.flatMap((g) => readdirSync(resolve(libs, g)).map((name) => ({ name, dir: resolve(libs, g, name) }))),
    ...readdirSync(libs)
      .filter((name) => !groups.includes(name))
      .map((name) => ({ name, dir: resolve(libs, name) })),
  ];
}

const alias = [
  ...libraryFolders().map(({ name, dir }) => ({
    find: `@app/${name}`,
    replacement: resolve(dir, 'src', 'index.ts'),
  })),
  // graphql 16 ships CommonJS (main) and ESM (module) builds without an exports map: Node, and so
  // NestJS, load the CommonJS one; Vite would pick the ESM one for our sources. Two copies break
  // instanceof checks on scalars, so sources get Node's copy too.
  { find: /^graphql$/, replacement: resolve(import.meta.dirname, 'node_modules', 'graphql', 'index.js') },
];

// SWC rather than esbuild: NestJS needs emitted decorator metadata.
const plugins = [
  swc.vite({
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
  }),
];

/** Tests against the real Postgres and Redis: one migrated template per run, a copy per file. */
const againstServices = {
  environment: 'node',
  globalSetup: ['test/setup/global-setup.ts'],
  setupFiles: ['test/setup/node20-polyfills.ts', 'test/setup/per-file.ts'],
  testTimeout: 30_000,
  hookTimeout: 60_000,
  // Two cores: files run two at a time, each in its own database.
  maxWorkers: 2,
} as const;

/**
 * Tests that measure one member's latency while another floods: they run in
 * a project of their own, one file at a time after the others (scripts/test.mjs),
 * so the figures are the server's and not the neighbouring test files'.
 */
const TIMING = ['test/fairness.test.ts', 'test/hostile-documents.test.ts'];

export default defineConfig({
  plugins,
  resolve: { alias },
  test: {
    reporters: ['default', './test/setup/summary-reporter.ts'],
    projects: [
      {
        // Inline projects extend this file: the SWC plugin and aliases apply.
        test: {
          name: 'unit',
          include: ['apps/**/*.spec.ts', 'libs/**/*.spec.ts', 'bench/**/*.spec.ts'],
          setupFiles: ['test/setup/node20-polyfills.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          ...againstServices,
          name: 'integration',
          include: ['test/**/*.test.ts'],
          // Long fault runs (minutes each) belong to `npm run faults`, not to `npm test`.
          exclude: ['test/**/*.long.test.ts', ...TIMING],
        },
      },
      { test: { ...againstServices, name: 'timing', include: TIMING, maxWorkers: 1 } },
      { test: { ...againstServices, name: 'faults', include: ['test/faults/**/*.test.ts'] } },
    ],
  },
});
