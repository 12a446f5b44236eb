/**
 * How every API and worker process is started: `sigfed serve`, the
 * `start:api`/`start:worker` scripts in package.json, the Dockerfile and the
 * benchmark's launcher (bench/fleet.ts) all use these, so the benchmark
 * measures what production runs. serve.flags.spec.ts fails when package.json
 * or the Dockerfile drift from them. Why each one: docs/operations.md#memory.
 */

/** Node/V8 flags, before the entry script on the command line. */
export const SERVER_NODE_FLAGS: readonly string[] = [
  // A heap ceiling well above the live heap (60-150 MB under load). V8 lets
  // the old generation grow to a multiple of the live heap before a full
  // collection, and the multiple follows this ceiling: about 4 with the
  // default ceiling of several GB (the API reached 550 MB of RSS), about 1.5
  // with 768 MB. Also a safety cap.
  '--max-old-space-size=768',
  // The young generation's two halves at 8 MB each instead of 16: 16 MB less
  // resident, for more but equally cheap scavenges.
  '--max-semi-space-size=8',
  // WebAssembly (Prisma's query compiler) stays on V8's baseline compiler:
  // tiering its hot functions up to TurboFan left about 50 MB of compiler
  // memory resident in every process; its faster code made no measurable
  // difference to throughput here.
  '--liftoff-only',
];

/** Environment defaults; a value the operator already set wins. */
export const SERVER_ENV_DEFAULTS: Readonly<Record<string, string>> = {
  // glibc otherwise gives each thread that allocates (V8's compiler and GC
  // helper threads) its own 64 MB arena, which keeps freed memory resident.
  MALLOC_ARENA_MAX: '2',
};

/** `env` with SERVER_ENV_DEFAULTS filled in where unset or empty. */
export function serverProcessEnv<T extends Record<string, string | undefined>>(env: T): T {
  const out: Record<string, string | undefined> = { ...env };
  for (const [name, value] of Object.entries(SERVER_ENV_DEFAULTS)) {
    if (!out[name]) out[name] = value;
  }
  return out as T;
}
