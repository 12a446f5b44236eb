import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '@app/common';
import { IndicatorsService } from '@app/indicators';
import { hashIndicator, TEST_FEDERATION_KEY_HEX } from '@app/sdk';
import { TestContext } from './support/context.js';
import { installSdk, labEnv, packSdk, run, SDK_DIR } from './support/sdk-package.js';
import { startWorker } from './support/webhooks.js';

const ROOT = projectRoot();
// Loopback webhook receivers are allowed the way a private deployment would allow them.
const POLICY = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' };
const SHARED_ACCOUNT = 'mule-account-7731@payments.example';

// What a lab writes with the installed package: plain Node 20, no TypeScript, no repository.
const SCRIPT = `
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { SigfedClient, TEST_FEDERATION_KEY_HEX, hashAndBuild, parseCredentials, verifyWebhook } from '@sigfed/sdk';

const client = SigfedClient.fromCredentials(parseCredentials(readFileSync(process.argv[2], 'utf8')));
const { indicators, refused } = hashAndBuild(TEST_FEDERATION_KEY_HEX, '2026-q4', [
  { type: 'ACCOUNT_SIGNAL', value: ${JSON.stringify(SHARED_ACCOUNT)}, externalRef: 'case-1' },
  { type: 'IP_RANGE', value: '198.51.100.0/25', confidence: 70 },
  { type: 'IP_RANGE', value: 'not an address' },
]);
const token = await client.getAccessToken();
const totals = await client.submitIndicators(indicators);

// Correlation runs on the worker: poll until the alert for the shared value shows up.
let alerts = [];
for (let tries = 0; alerts.length === 0 && tries < 100; tries++) {
  alerts = [];
  for await (const alert of client.alerts({ filter: { status: 'OPEN' } })) alerts.push(alert);
  if (alerts.length === 0) await new Promise((r) => setTimeout(r, 200));
}

let resolveDelivery;
const delivered = new Promise((resolve) => (resolveDelivery = resolve));
const receiver = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(204).end();
    resolveDelivery({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const created = await client.graphql(
  'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id } } }',
  { input: { url: \`http://127.0.0.1:\${receiver.address().port}/sigfed\`, eventTypes: ['webhook.test'] } },
);
await client.graphql('mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }', { id: created.createWebhookEndpoint.endpoint.id });
const delivery = await delivered;
const event = verifyWebhook(delivery.body, delivery.headers, created.createWebhookEndpoint.secret);
let forged = 'accepted';
try {
  verifyWebhook(delivery.body.replace('webhook.test', 'alert.created'), delivery.headers, created.createWebhookEndpoint.secret);
} catch (error) {
  forged = error.name;
}
receiver.close();

console.log(JSON.stringify({
  tokenParts: token.split('.').length,
  sameToken: (await client.getAccessToken()) === token,
  hashed: indicators.map((i) => i.type),
  refused: refused.map((r) => r.index + ':' + r.rule),
  accepted: totals.accepted,
  alerts: alerts.map((a) => ({ type: a.type, token: a.token, externalRef: a.externalRef, otherHolderCount: a.otherHolderCount })),
  webhook: event.type,
  forged,
}));
`;

// A lab's TypeScript, checked with strict settings against the .d.ts files the tarball ships.
// Each @ts-expect-error fails the check if the types were missing or \`any\`.
const TYPED = `
import { SigfedClient, SigfedApiError, hashIndicator, templateSignature, verifyWebhook, type Alert, type HashedIndicator, type SigfedCredentials, type TemplateSignature, type WebhookEvent } from '@sigfed/sdk';

export async function integrate(credentials: SigfedCredentials, key: string): Promise<number> {
  const client = SigfedClient.fromCredentials(credentials, { retry: { attempts: 3 } });
  const token: string = await client.getAccessToken();
  const hashed: HashedIndicator[] = hashIndicator(key, 'IP_RANGE', '203.0.113.0/24');
  const data = await client.graphql<{ me: { clientId: string } }>('{ me { clientId } }', {}, { retry: false });
  const id: string = data.me.clientId;
  let open = 0;
  for await (const alert of client.alerts({ filter: { status: 'OPEN' }, pageSize: 50 })) {
    const a: Alert = alert;
    open += a.otherHolderCount;
    // @ts-expect-error alerts carry no raw value
    void alert.rawValue;
  }
  const event: WebhookEvent<{ alertId: string }> = verifyWebhook<{ alertId: string }>('{}', {}, 'whsec_x');
  // @ts-expect-error the status filter is an enum
  client.alerts({ filter: { status: 'SOMETIMES' } });
  // @ts-expect-error hashIndicator takes a known indicator type
  hashIndicator(key, 'EMAIL', 'a@b.example');
  const signature: TemplateSignature = templateSignature(key, 'You are a chemist. Explain every step.');
  // @ts-expect-error the bands are read-only
  signature.bands.push('x');
  await client.submitTemplateSignatures({ signatures: [{ keyEpoch: '2026-q4', bands: signature.bands, externalRef: 'tpl-1' }] });
  try {
    await client.submitIndicators(hashed.map((h) => ({ type: h.type, token: h.token, keyEpoch: '2026-q4' })));
  } catch (error) {
    if (error instanceof SigfedApiError) return error.status ?? 0;
  }
  return open + token.length + id.length + event.data.alertId.length;
}
`;

describe('@sigfed/sdk as a package', () => {
  let ctx: TestContext;
  let worker: INestApplication;
  const scratch = mkdtempSync(join(tmpdir(), 'sigfed-sdk-package-'));
  const env = labEnv();
  let tarball: string;

  beforeAll(async () => {
    ctx = await TestContext.start(POLICY);
    worker = await startWorker(POLICY);
    tarball = await packSdk(scratch);
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await ctx?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('packs compiled ES modules, .d.ts types, the README and changelog, and no sources or specs', async () => {
    const listing = await run('tar', ['-tzf', join(scratch, tarball)], scratch, env);
    const files = listing.stdout
      .trim()
      .split('\n')
      .map((f) => f.replace(/^package\//, ''));
    const manifest = JSON.parse(readFileSync(join(SDK_DIR, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(tarball).toBe(`sigfed-sdk-${String(manifest.version)}.tgz`);
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'CHANGELOG.md',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/client/sigfed-client.d.ts',
      ]),
    );
    expect(files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /spec|test/.test(f))).toEqual([]);
    expect(manifest).toMatchObject({
      name: '@sigfed/sdk',
      type: 'module',
      license: 'Apache-2.0',
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
    });
    expect(manifest).not.toHaveProperty('private');
    expect(readFileSync(join(SDK_DIR, 'CHANGELOG.md'), 'utf8')).toContain(`## ${String(manifest.version)} `);
  });

  it(
    'installs from the tarball into an empty project, where plain Node hashes, gets a token, submits, reads alerts and verifies a webhook',
    { timeout: 90_000 },
    async () => {
      const installed = await installSdk(scratch, tarball);
      expect(installed.code, installed.stderr).toBe(0);
      expect(readdirSync(join(scratch, 'node_modules', '@sigfed', 'sdk'))).not.toContain('src');

      const other = await ctx.newMember();
      const shared = hashIndicator(TEST_FEDERATION_KEY_HEX, 'ACCOUNT_SIGNAL', SHARED_ACCOUNT)[0].token;
      await ctx.app.get(IndicatorsService).submit(other.id, {
        idempotencyKey: 'other-lab-0001',
        indicators: [{ type: 'ACCOUNT_SIGNAL', keyEpoch: '2026-q4', token: shared }],
      });
      const lab = await ctx.newMember({ alg: 'ES256' });
      const credentials = join(scratch, 'lab.json');
      writeFileSync(credentials, JSON.stringify({ clientId: lab.clientId, privateJwk: lab.privateJwk, issuer: ctx.issuer }), {
        mode: 0o600,
      });
      writeFileSync(join(scratch, 'integrate.mjs'), SCRIPT);

      const started = Date.now();
      const result = await run(process.execPath, ['integrate.mjs', credentials], scratch, env);
      expect(result.code, result.stderr).toBe(0);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(JSON.parse(result.stdout)).toEqual({
        tokenParts: 3,
        sameToken: true,
        hashed: ['ACCOUNT_SIGNAL', 'IP_RANGE'],
        refused: ['2:ip.syntax'],
        accepted: 2,
        alerts: [{ type: 'ACCOUNT_SIGNAL', token: shared, externalRef: 'case-1', otherHolderCount: 1 }],
        webhook: 'webhook.test',
        forged: 'WebhookVerificationError',
      });
    },
  );

  it('exports every name the README imports', async () => {
    const readme = readFileSync(join(SDK_DIR, 'README.md'), 'utf8');
    const imported = [...readme.matchAll(/import \{([^}]+)\} from '@sigfed\/sdk'/g)].flatMap((m) =>
      m[1].split(',').map((name) => name.trim()),
    );
    expect(imported.length).toBeGreaterThan(5);
    const listed = await run(
      process.execPath,
      ['--input-type=module', '-e', "console.log(JSON.stringify(Object.keys(await import('@sigfed/sdk'))))"],
      scratch,
      env,
    );
    expect(listed.code, listed.stderr).toBe(0);
    const exported = JSON.parse(listed.stdout) as string[];
    expect(imported.filter((name) => !exported.includes(name))).toEqual([]);
  });

  it('type-checks a strict TypeScript file against the installed declarations', { timeout: 60_000 }, async () => {
    writeFileSync(join(scratch, 'integrate.ts'), TYPED);
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    // --skipLibCheck as `tsc --init` sets it: @types/node's own files are not what is tested here,
    // and checking them costs most of the time. Our declarations are still read and applied.
    const args = [
      '--strict',
      '--skipLibCheck',
      '--noEmit',
      '--module',
      'nodenext',
      '--target',
      'es2023',
      '--types',
      'node',
      '--typeRoots',
      join(ROOT, 'node_modules', '@types'),
      'integrate.ts',
    ];
    const checked = await run(process.execPath, [tsc, ...args], scratch, env);
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.code).toBe(0);
  });
});
