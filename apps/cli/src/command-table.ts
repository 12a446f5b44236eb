import type { Command } from 'commander';

/** How a command module adds its command(s) to the program. */
export type Register = (program: Command) => void;

/**
 * One top-level command: its name and one-line description (for `--help`
 * without loading it) and how to load the module that defines it.
 */
export interface CommandEntry {
  readonly name: string;
  readonly description: string;
  /** Operator commands load the server's libraries (Nest, Prisma); member commands only the SDK. */
  readonly kind: 'member' | 'admin' | 'operator';
  readonly load: () => Promise<Register>;
}

// Nest's decorators read metadata that reflect-metadata installs; only operator modules need it.
const operator = async <T>(load: () => Promise<T>): Promise<T> => {
  await import('reflect-metadata');
  return load();
};

/**
 * Every command of `sigfed`, in the order `--help` lists them. main.ts loads
 * only the module of the command being run, so a member command never pays
 * for the server's libraries; command-table.spec.ts checks each description
 * against its module.
 */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'serve',
    description: 'prepare the database, then run the API and worker roles together',
    kind: 'operator',
    load: () =>
      operator(async () => {
        const [{ beforeServeHooks, registerServe }, { createFirstAdminIfNone }] = await Promise.all([
          import('./commands/serve.command.js'),
          import('./commands/bootstrap-admin.command.js'),
        ]);
        // `npm start` on an empty database creates the first admin once.
        if (!beforeServeHooks.includes(createFirstAdminIfNone)) beforeServeHooks.push(createFirstAdminIfNone);
        return registerServe;
      }),
  },
  {
    name: 'migrate',
    description: 'apply pending database migrations (each in a transaction, under an advisory lock)',
    kind: 'operator',
    load: () => operator(async () => (await import('./commands/migrate.command.js')).registerMigrate),
  },
  {
    name: 'doctor',
    description: 'check configuration, PostgreSQL, Redis and migrations, one line each',
    kind: 'operator',
    load: () => operator(async () => (await import('./commands/doctor.command.js')).registerDoctor),
  },
  {
    name: 'hash',
    description:
      'derive the tokens of one raw indicator value (HMAC epochs: locally, nothing is sent; TWO_KEY epochs: with the server, which sees only blinded values)',
    kind: 'member',
    load: async () => (await import('./commands/hash.command.js')).registerHash,
  },
  {
    name: 'submit',
    description: 'hash the indicators of a CSV file locally and submit the tokens',
    kind: 'member',
    load: async () => (await import('./commands/submit.command.js')).registerSubmit,
  },
  {
    name: 'retract',
    description: 'withdraw your own indicators: hash a CSV of values locally (or take tokens) and retract them',
    kind: 'member',
    load: async () => (await import('./commands/retract.command.js')).registerRetract,
  },
  {
    name: 'alerts',
    description: 'list your alerts, newest first (only your own token, reference and counts about others)',
    kind: 'member',
    load: async () => (await import('./commands/alerts.command.js')).registerAlerts,
  },
  {
    name: 'alert',
    description: 'show one alert, or acknowledge it with a verdict',
    kind: 'member',
    load: async () => (await import('./commands/alert.command.js')).registerAlert,
  },
  {
    name: 'keys',
    description: 'list, add and revoke your public keys',
    kind: 'member',
    load: async () => (await import('./commands/keys.command.js')).registerKeys,
  },
  {
    name: 'rotate-key',
    description: 'replace your key: register a new one, switch the credentials file atomically, revoke the old one',
    kind: 'member',
    load: async () => (await import('./commands/rotate-key.command.js')).registerRotateKey,
  },
  {
    name: 'webhooks',
    description: 'your webhook endpoints: create, list, test, rotate-secret, deliveries, redeliver',
    kind: 'member',
    load: async () => (await import('./commands/webhooks.command.js')).registerWebhooks,
  },
  {
    name: 'listen',
    description: 'forward your live alert events to a local URL, signed like webhooks with a local secret',
    kind: 'member',
    load: async () => (await import('./commands/listen.command.js')).registerListen,
  },
  {
    name: 'join',
    description: 'accept an invitation: make a key pair locally, register it, write the credentials file',
    kind: 'member',
    load: async () => (await import('./commands/join.command.js')).registerJoin,
  },
  {
    name: 'invite',
    description: '(admin) invite an organization; prints its one-time invitation token',
    kind: 'admin',
    load: async () => (await import('./commands/invite.command.js')).registerInvite,
  },
  {
    name: 'admin',
    description: '(admin) members, invitations, suspension, quotas and the suppression list, through the API',
    kind: 'admin',
    load: async () => (await import('./commands/admin.command.js')).registerAdmin,
  },
  {
    name: 'report',
    description: '(admin) the federation report for a period (k-anonymous), as Markdown or JSON',
    kind: 'admin',
    load: async () => (await import('./commands/report.command.js')).registerReport,
  },
  {
    name: 'bootstrap-admin',
    description: 'create an admin member and its key pair; write its credential file (mode 0600)',
    kind: 'operator',
    load: () => operator(async () => (await import('./commands/bootstrap-admin.command.js')).registerBootstrapAdmin),
  },
  {
    name: 'rotate-signing-key',
    description: 'create a new token-signing key and retire the current one (issued tokens stay valid)',
    kind: 'operator',
    load: () => operator(async () => (await import('./commands/rotate-signing-key.command.js')).registerRotateSigningKey),
  },
  {
    name: 'create-key-epoch',
    description: '(operator) create a key epoch; a TWO_KEY one gets a new OPRF key (sealed, never exported) and prints its public key',
    kind: 'operator',
    load: () => operator(async () => (await import('./commands/key-epochs.command.js')).registerCreateKeyEpoch),
  },
  {
    name: 'list-key-epochs',
    description: '(operator) list key epochs with their status, and epoch labels in use that have none',
    kind: 'operator',
    load: () => operator(async () => (await import('./commands/key-epochs.command.js')).registerListKeyEpochs),
  },
  {
    name: 'retire-key-epoch',
    description: '(operator) retire a key epoch now: its key no longer evaluates',
    kind: 'operator',
    load: () => operator(async () => (await import('./commands/key-epochs.command.js')).registerRetireKeyEpoch),
  },
  {
    name: 'audit-verify',
    description: 'check the audit log hash chain; exit 1 naming the first broken entry',
    kind: 'operator',
    load: () => operator(async () => (await import('./commands/audit-verify.command.js')).registerAuditVerify),
  },
  {
    name: 'audit-checkpoint',
    description: 'sign and store a checkpoint of the audit chain head (audit-verify checks the newest)',
    kind: 'operator',
    load: () => operator(async () => (await import('./commands/audit-verify.command.js')).registerAuditCheckpoint),
  },
];

/** The command `argv` (without node and script) runs: its first word, or the one after `help`. */
export function commandNameIn(argv: readonly string[]): string | undefined {
  const words = argv.filter((arg) => !arg.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}
