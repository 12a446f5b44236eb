import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SocketWatchService } from '@app/alert-stream';
import { freePort, projectRoot } from '@app/common';
import { TEST_FEDERATION_KEY_HEX } from '@app/sdk';
import { TestContext } from './support/context.js';
import { childEnv, distEntry, runNode, RunningProcess } from './support/processes.js';
import { installSdk, labEnv, packSdk, run, type Run } from './support/sdk-package.js';
import { until } from './support/wait.js';
import { startWorker } from './support/webhooks.js';

/** The CLI as the server's release ships it; a lab runs it from its own folder. */
const CLI = distEntry('apps/cli/src/main.js');
// Loopback webhook receivers are allowed the way a private deployment would allow them.
const POLICY = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' };

// The integration guide's receiver, verifying with the SDK instead of `standardwebhooks`.
const RECEIVER = `
import { createServer } from 'node:http';
import { verifyWebhook, WebhookVerificationError } from '@sigfed/sdk';

const seen = new Set();
createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let event;
    try {
      event = verifyWebhook(body, req.headers, process.env.WEBHOOK_SECRET);
    } catch (error) {
      if (error instanceof WebhookVerificationError) return res.writeHead(400).end('invalid signature');
      throw error;
    }
    const id = req.headers['webhook-id'];
    if (seen.has(id)) return res.writeHead(200).end('duplicate');
    seen.add(id);
    console.log(JSON.stringify({ id, type: event.type, alert: event.data.id, status: event.data.status, version: event.data.version }));
    res.writeHead(204).end();
  });
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.error(\`listening on \${process.env.PORT}\`));
`;

// The guide's subscription loop. The last event id is saved after each event, and a stream ended
// by the lab's own key rotation (4403 once the old key is revoked) resumes with the new credentials.
const SUBSCRIBER = `
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { SigfedClient, SigfedStreamError, parseCredentials } from '@sigfed/sdk';

const [credentialsFile, stateFile] = process.argv.slice(2);
let after = existsSync(stateFile) ? readFileSync(stateFile, 'utf8').trim() : undefined;
for (;;) {
  const credentials = readFileSync(credentialsFile, 'utf8');
  const client = SigfedClient.fromCredentials(parseCredentials(credentials));
  const stream = client.alertEvents({ after });
  try {
    for await (const event of stream) {
      console.log(JSON.stringify({ id: event.id, type: event.type, alert: event.alert.id, status: event.alert.status }));
      writeFileSync(stateFile, event.id);
    }
    break;
  } catch (error) {
    const rotated = error instanceof SigfedStreamError && error.code === 'FORBIDDEN' && readFileSync(credentialsFile, 'utf8') !== credentials;
    if (!rotated) throw error;
    after = stream.lastEventId ?? after;
    console.error(\`key rotated: resuming after \${after} with the new credentials\`);
  }
}
`;

const CSV_A =
  'type,value,external_ref,disclose_identity\n' +
  'IP_RANGE,203.0.113.7,case-1,true\n' +
  'PAYMENT_FINGERPRINT,4111 1111 1111 1111|12/27,case-2,true\n' +
  'ACCOUNT_SIGNAL,throwaway-mail.example,case-3,true\n';
const CSV_B =
  'type,value,external_ref\n' +
  'IP_RANGE,::ffff:203.0.113.0/120,b-1\n' +
  'PAYMENT_FINGERPRINT,4111-1111-1111-1111|12/2027,b-2\n' +
  'ACCOUNT_SIGNAL,only-lab-b.example,b-3\n';

interface Seen {
  id: string;
  type: string;
  alert: string;
  status: string;
}

const linesOf = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Seen);

/**
 * Issue 13's "done when": a new lab's whole walkthrough from outside the
 * repository, with only the packed SDK and the CLI, against a server and a
 * worker: invitations, join, webhook receiver, subscription, submission,
 * key rotation, retraction. Lab processes get no server settings at all.
 */
describe('a new lab, from outside the repository', () => {
  let ctx: TestContext;
  let worker: INestApplication;
  const root = mkdtempSync(join(tmpdir(), 'sigfed-walkthrough-'));
  const operator = join(root, 'operator');
  const project = join(root, 'lab-project');
  const running: RunningProcess[] = [];
  const timings: { step: string; who: string; ms: number }[] = [];
  let tarball: string;

  const step = async <T>(who: string, name: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    timings.push({ step: name, who, ms: performance.now() - started });
    return result;
  };
  const ok = (result: Run, what: string) => {
    expect(result.code, `${what}\n${result.stdout}\n${result.stderr}`).toBe(0);
    return result.stdout;
  };
  /** The CLI from `cwd`, with a lab's environment: no database, no Redis, no server settings. */
  const cli = async (cwd: string, ...args: string[]) => ok(await run(process.execPath, [CLI, ...args], cwd, labEnv()), args.join(' '));
  const node = (script: string, args: string[], env: Record<string, string> = {}) => {
    const child = RunningProcess.command(process.execPath, [script, ...args], labEnv(env), project);
    running.push(child);
    return child;
  };

  beforeAll(async () => {
    ctx = await TestContext.start(POLICY);
    worker = await startWorker(POLICY);
    mkdirSync(operator);
    mkdirSync(project);
    // The server's release: the SDK tarball a lab is given (the CLI ships with the release too).
    tarball = await step('release', 'npm pack (SDK tarball)', () => packSdk(project));
  }, 120_000);
  afterAll(async () => {
    for (const child of running) child.kill();
    await worker?.close();
    await ctx?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it(
    'onboards two labs, delivers their alerts by webhook and subscription, survives a key rotation, and closes on retraction',
    { timeout: 150_000 },
    async () => {
      const wholeStarted = performance.now();
      // Operator, on the server machine: the first admin credential, then one invitation per lab.
      const admin = join(operator, 'admin.json');
      await step('operator', 'bootstrap-admin', async () =>
        ok(
          await runNode(CLI, ['bootstrap-admin', '--name', 'Federation operator', '--out', admin], childEnv({ PUBLIC_BASE_URL: ctx.url })),
          'bootstrap-admin',
        ),
      );
      const invite = async (org: string) =>
        /invitation token\s+(\S+)/.exec(
          await cli(operator, 'invite', '--credentials', admin, '--org', org, '--email', 'trust@lab.example'),
        )![1];
      const invitationA = await step('operator', 'invite Lab A', () => invite('Lab A'));
      const invitationB = await step('operator', 'invite Lab B', () => invite('Lab B'));

      const installed = await step('lab', 'npm install ./<tarball> (offline)', () => installSdk(project, tarball));
      ok(installed, 'npm install');
      writeFileSync(join(project, 'receiver.mjs'), RECEIVER);
      writeFileSync(join(project, 'subscribe.mjs'), SUBSCRIBER);
      writeFileSync(join(project, 'federation.key'), TEST_FEDERATION_KEY_HEX, { mode: 0o600 });
      writeFileSync(join(project, 'a.csv'), CSV_A);
      writeFileSync(join(project, 'b.csv'), CSV_B);
      // Nothing a lab runs may reach into the server's repository.
      for (const script of ['receiver.mjs', 'subscribe.mjs']) {
        const imports = [...readFileSync(join(project, script), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);
        expect(imports.filter((spec) => spec !== '@sigfed/sdk' && !spec.startsWith('node:'))).toEqual([]);
      }
      expect(project.startsWith(projectRoot())).toBe(false);

      const labs = {
        A: { credentials: 'lab-a.json', csv: 'a.csv', invitation: invitationA },
        B: { credentials: 'lab-b.json', csv: 'b.csv', invitation: invitationB },
      };
      const receivers: Record<string, RunningProcess> = {};
      const subscribers: Record<string, RunningProcess> = {};
      const watch = ctx.app.get(SocketWatchService) as unknown as { sessions: Map<unknown, unknown> };
      for (const [name, lab] of Object.entries(labs)) {
        const who = `Lab ${name}`;
        await step(who, 'join', () => cli(project, 'join', '--invitation', lab.invitation, '--server', ctx.url, '--out', lab.credentials));
        await step(who, 'webhook endpoint and receiver', async () => {
          const port = await freePort();
          const created = JSON.parse(
            await cli(
              project,
              'webhooks',
              'create',
              '--url',
              `http://127.0.0.1:${port}/sigfed`,
              '--credentials',
              lab.credentials,
              '--json',
            ),
          ) as { secret: string };
          receivers[name] = node('receiver.mjs', [], { PORT: String(port), WEBHOOK_SECRET: created.secret });
          await until(() => receivers[name].stderr.includes('listening on'), `${who}'s receiver listening`, 20_000);
        });
        await step(who, 'subscription', async () => {
          const before = watch.sessions.size;
          subscribers[name] = node('subscribe.mjs', [lab.credentials, `${lab.credentials}.last-event`]);
          // Without `after` a subscription sees events from when it subscribed: wait for the server to admit it.
          await until(() => watch.sessions.size === before + 1, `${who}'s subscription admitted`, 20_000);
        });
      }
      for (const [name, lab] of Object.entries(labs)) {
        const summary = await step(`Lab ${name}`, 'submit', () =>
          cli(project, 'submit', '--file', lab.csv, '--epoch', '2026-q4', '--credentials', lab.credentials, '--key-file', 'federation.key'),
        );
        expect(summary).toMatch(/accepted\s+4/);
      }

      const alertsOf = (credentials: string, ...options: string[]) =>
        step('check', `alerts ${options.join(' ')}`, async () =>
          linesOf(await cli(project, 'alerts', '--credentials', credentials, '--json', ...options)),
        );
      const events = (child: RunningProcess, type: string) => linesOf(child.stdout).filter((e) => e.type === type);
      // The IP block, and the card twice (pan and bin-last4-exp): three alerts each, delivered both ways.
      await step('both labs', 'alerts reach webhook and subscription', () =>
        until(
          () =>
            Object.keys(labs).every(
              (n) => events(receivers[n], 'alert.created').length === 3 && events(subscribers[n], 'alert.created').length === 3,
            ),
          'three alert.created for each lab, by webhook and by subscription',
          30_000,
        ),
      );
      const openIds: Record<string, string[]> = {};
      for (const [name, lab] of Object.entries(labs)) {
        const open = await alertsOf(lab.credentials, '--status', 'OPEN');
        openIds[name] = open.map((a) => a.id).sort();
        expect(openIds[name]).toHaveLength(3);
        expect(
          events(receivers[name], 'alert.created')
            .map((e) => e.alert)
            .sort(),
        ).toEqual(openIds[name]);
        expect(
          events(subscribers[name], 'alert.created')
            .map((e) => e.alert)
            .sort(),
        ).toEqual(openIds[name]);
      }

      // Lab A rotates its key; the old credential stops working, the new one works, the stream goes on.
      copyFileSync(join(project, 'lab-a.json'), join(project, 'lab-a.old.json'));
      const rotated = await step(
        'Lab A',
        'rotate-key',
        async () =>
          JSON.parse(await cli(project, 'rotate-key', '--credentials', 'lab-a.json', '--json')) as {
            newKey: { kid: string; status: string };
            oldKey: { kid: string; status: string };
          },
      );
      expect(rotated.newKey.status).toBe('ACTIVE');
      expect(rotated.oldKey.status).toBe('REVOKED');
      expect(rotated.newKey.kid).not.toBe(rotated.oldKey.kid);
      const stale = await step('check', 'the old credential is refused', () =>
        run(process.execPath, [CLI, 'alerts', '--credentials', 'lab-a.old.json'], project, labEnv()),
      );
      expect(stale.code, stale.stderr).toBe(2);
      expect((await alertsOf('lab-a.json', '--status', 'OPEN')).map((a) => a.id).sort()).toEqual(openIds.A);
      await step('Lab A', 'subscription resumes with the new key', () =>
        until(() => subscribers.A.stderr.includes('key rotated: resuming'), "Lab A's subscription resumed with the new key", 20_000),
      );

      // Lab A retracts everything it submitted: the shared values no longer hold, for either lab.
      const retracted = await step(
        'Lab A',
        'retract',
        async () =>
          JSON.parse(
            await cli(
              project,
              'retract',
              '--file',
              'a.csv',
              '--epoch',
              '2026-q4',
              '--credentials',
              'lab-a.json',
              '--key-file',
              'federation.key',
              '--json',
            ),
          ) as { retracted: number },
      );
      expect(retracted.retracted).toBe(4);
      await step('both labs', 'closures reach webhook and subscription', () =>
        until(
          () =>
            Object.keys(labs).every(
              (n) => events(receivers[n], 'alert.closed').length === 3 && events(subscribers[n], 'alert.closed').length === 3,
            ),
          'three alert.closed for each lab, by webhook and by subscription',
          30_000,
        ),
      );
      for (const [name, lab] of Object.entries(labs)) {
        expect((await alertsOf(lab.credentials, '--status', 'OPEN')).map((a) => a.id)).toEqual([]);
        expect((await alertsOf(lab.credentials, '--status', 'CLOSED')).map((a) => a.id).sort()).toEqual(openIds[name]);
        for (const channel of [receivers[name], subscribers[name]]) {
          const seen = linesOf(channel.stdout);
          expect(seen.map((e) => e.type).sort()).toEqual([...Array(3).fill('alert.closed'), ...Array(3).fill('alert.created')]);
          expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
          expect(
            events(channel, 'alert.closed')
              .map((e) => e.alert)
              .sort(),
          ).toEqual(openIds[name]);
          expect(events(channel, 'alert.closed').every((e) => e.status === 'CLOSED')).toBe(true);
        }
      }
      const subscriptionA = linesOf(subscribers.A.stdout).map((e) => BigInt(e.id));
      expect(subscriptionA).toEqual([...subscriptionA].sort((x, y) => (x < y ? -1 : 1)));
      const whole = performance.now() - wholeStarted;

      const seconds = (ms: number) => (ms / 1000).toFixed(2);
      const labMs = timings.filter((t) => t.who === 'lab' || t.who === 'Lab A' || t.who === 'both labs').reduce((sum, t) => sum + t.ms, 0);
      console.log(
        [
          'lab walkthrough, wall-clock per step:',
          ...timings.map((t) => `  ${t.who.padEnd(10)} ${t.step.padEnd(40)} ${seconds(t.ms).padStart(7)} s`),
          `  whole walkthrough (after the release is packed): ${seconds(whole)} s, of which the test's own checks ` +
            `${seconds(timings.filter((t) => t.who === 'check').reduce((sum, t) => sum + t.ms, 0))} s`,
          `a new lab needs ${seconds(labMs)} s of machine time (install, join, receiver, subscription, submit, deliveries, rotate-key, retract)`,
        ].join('\n'),
      );
    },
  );
});
