import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '@app/common';
import { loadConfig } from '@app/config';
import { PrismaService } from '@app/database';
import { TEST_FEDERATION_KEY_HEX } from '@app/sdk';
import { WorkerModule } from '../apps/worker/src/worker.module.js';
import { testToken, TestContext, type TestMember } from './support/context.js';
import { childEnv, distEntry, runNode } from './support/processes.js';
import { outboxDrained } from './support/wait.js';

const CLI = distEntry('apps/cli/src/main.js');
/** Debian's `chromium` package (.ci/run installs it when missing). */
const CHROMIUM = '/usr/bin/chromium';
/** Debian's Chromium on a machine without network or GPU: these flags keep it from stalling (docs/console.md). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = join(projectRoot(), 'var', 'console-screenshots');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const POLICY = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32', OUTBOX_POLL_MS: '100' };

interface Watched {
  page: Page;
  problems: string[];
  /** Every request body and WebSocket frame the page sent. */
  sent: string[];
}

/**
 * The console in a real browser: an operator signs in with its credentials
 * file and invites a lab; the lab joins with the CLI and signs in; after a
 * match the lab sees the alert appear live and gives a verdict; the operator
 * sees the lab's health change. Every page: no console error, no failed
 * request, no serious or critical axe-core violation, and a screenshot.
 */
describe('the web console, end to end in Chromium', () => {
  let ctx: TestContext;
  let worker: INestApplication;
  let browser: Browser;
  let receiver: Server;
  const dir = mkdtempSync(join(tmpdir(), 'sigfed-console-'));
  const keyFile = join(dir, 'federation.key');

  const cli = async (...args: string[]) => {
    const result = await runNode(CLI, args, childEnv({ PUBLIC_BASE_URL: ctx.url }), 30_000);
    expect(result.code, `${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
    return result.stdout;
  };

  const credentialFile = (name: string, member: TestMember) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify({ clientId: member.clientId, privateJwk: member.privateJwk, issuer: ctx.issuer }), { mode: 0o600 });
    return path;
  };

  beforeAll(async () => {
    ctx = await TestContext.start(POLICY);
    const ref = await Test.createTestingModule({ imports: [WorkerModule.forRoot(loadConfig({ ...process.env, ...POLICY }))] }).compile();
    worker = ref.createNestApplication({ logger: false });
    await worker.init();
    writeFileSync(keyFile, TEST_FEDERATION_KEY_HEX, { mode: 0o600 });
    // A receiver that is down: the lab's webhook health turns bad.
    receiver = createServer((_req, res) => res.writeHead(503).end('down for maintenance'));
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 20_000 });
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    receiver?.close();
    await worker?.close();
    await ctx?.close();
  });

  /** A page in a fresh context (nothing shared with the other user) whose errors and failed requests are collected. */
  async function open(): Promise<Watched> {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    const sent: string[] = [];
    page.on('request', (request) => sent.push(`${request.url()} ${request.postData() ?? ''}`));
    page.on('websocket', (socket) => socket.on('framesent', (frame) => sent.push(String(frame.payload))));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    });
    await page.goto(`${ctx.url}/console/`);
    return { page, problems, sent };
  }

  /** axe-core's serious and critical violations, and a screenshot named `name`. */
  async function check(watched: Watched, name: string): Promise<void> {
    const { page } = watched;
    await page.waitForLoadState('networkidle');
    // Evaluated over the DevTools protocol, which the page's CSP does not govern (the page itself may not eval).
    if (!(await page.evaluate<boolean>('typeof axe !== "undefined"'))) await page.evaluate(AXE);
    const violations = await page.evaluate<{ id: string; impact: string; nodes: string[] }[]>(
      `axe.run(document, { resultTypes: ['violations'] }).then((r) =>
         r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })))`,
    );
    expect(
      violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
      `${name}: accessibility`,
    ).toEqual([]);
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    expect(watched.problems, `${name}: console errors and failed requests`).toEqual([]);
  }

  /** Signs in with a credentials file; the private key must never leave the page, nor be stored. */
  async function signIn(watched: Watched, credentials: string): Promise<void> {
    await watched.page.setInputFiles('input[type=file]', credentials);
    await watched.page.getByTestId('who').waitFor();
    await watched.page.waitForLoadState('networkidle');
    const { d } = (JSON.parse(readFileSync(credentials, 'utf8')) as { privateJwk: { d: string } }).privateJwk;
    expect(watched.sent.length).toBeGreaterThan(0);
    expect(
      watched.sent.filter((body) => body.includes(d)),
      'the private key was sent',
    ).toEqual([]);
    const stored = await watched.page.evaluate<{ local: number; session: number; databases: number; cookies: string }>(
      `indexedDB.databases().then((dbs) => ({ local: localStorage.length, session: sessionStorage.length, databases: dbs.length, cookies: document.cookie }))`,
    );
    expect(stored, 'nothing is stored in the browser').toEqual({ local: 0, session: 0, databases: 0, cookies: '' });
  }

  const nav = (page: Page, label: string) =>
    page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: label, exact: true }).click();

  it('takes an operator and a lab through invitation, a live alert, a verdict and the health view', { timeout: 120_000 }, async () => {
    // The operator and the lab that will share an indicator with the invited one, with the files
    // onboarding writes ({ clientId, privateJwk, issuer }), made in-process to keep the test short.
    const admin = credentialFile('admin', await ctx.newAdmin({ name: 'Federation operator' }));
    const memberA = await ctx.newMember({ name: 'Lab A' });
    const labA = credentialFile('lab-a', memberA);

    // The operator signs in: the sign-in page first.
    const operator = await open();
    await check(operator, '01-sign-in');
    await signIn(operator, admin);
    await expect(operator.page.getByTestId('who').textContent()).resolves.toMatch(/Federation operator.*operator \(admin\)/);

    // Invites Lab B; the token is shown once.
    await nav(operator.page, 'Invitations');
    await operator.page.getByRole('textbox', { name: 'Organization', exact: true }).fill('Lab B');
    await operator.page.getByRole('textbox', { name: 'Contact email', exact: true }).fill('trust@b.example');
    await operator.page.getByRole('button', { name: 'Create invitation' }).click();
    const token = (await operator.page.getByTestId('shown-once').textContent())!.trim();
    expect(token.length).toBeGreaterThan(20);
    await check(operator, '03-invitations');

    // Lab B joins with the CLI and signs in to the console.
    const labB = join(dir, 'lab-b.json');
    await cli('join', '--invitation', token, '--server', ctx.url, '--out', labB, '--alg', 'ES256');
    const lab = await open();
    await signIn(lab, labB);
    await expect(lab.page.getByTestId('who').textContent()).resolves.toMatch(/Lab B.*member/);
    await expect(lab.page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Members' }).count()).resolves.toBe(0);
    await lab.page.getByText('Live', { exact: true }).waitFor();
    await check(lab, '10-alerts-empty');

    // Its receiver is down: it adds the endpoint and sends a test.
    await nav(lab.page, 'Webhooks');
    await lab.page
      .getByRole('textbox', { name: 'URL', exact: true })
      .fill(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`);
    await lab.page.getByRole('textbox', { name: 'Label', exact: true }).fill('SOC receiver');
    await lab.page.getByRole('button', { name: 'Create endpoint' }).click();
    await expect(lab.page.getByTestId('shown-once').textContent()).resolves.toMatch(/^whsec_/);
    await lab.page.getByRole('button', { name: 'Send a test' }).click();
    await lab.page.locator('.delivery summary').first().waitFor();

    // Operator, before the lab submitted anything: Lab B has never submitted.
    await nav(operator.page, 'Members');
    const rowB = operator.page.locator('tr[data-member="Lab B"]');
    await expect(rowB.locator('td').nth(2).textContent()).resolves.toBe('never');

    // Both labs submit the same value; correlation matches it and the lab's alert appears live.
    await nav(lab.page, 'Alerts');
    await lab.page.getByText('Live', { exact: true }).waitFor();
    writeFileSync(join(dir, 'a.csv'), 'type,value,external_ref\nIP_RANGE,203.0.113.7,case-A-1\n');
    writeFileSync(join(dir, 'b.csv'), 'type,value,external_ref\nIP_RANGE,203.0.113.7,case-B-7\n');
    await cli('submit', '--file', join(dir, 'a.csv'), '--epoch', '2026-q4', '--credentials', labA, '--key-file', keyFile);
    await cli('submit', '--file', join(dir, 'b.csv'), '--epoch', '2026-q4', '--credentials', labB, '--key-file', keyFile);
    // Meanwhile a campaign for Lab A's analyst: two of its accounts and one of Lab C's, tied by a card.
    await submitCampaign(memberA, await ctx.newMember({ name: 'Lab C' }));
    await outboxDrained(ctx.app.get(PrismaService));
    const alertRow = lab.page.locator('tr.fresh', { hasText: 'case-B-7' });
    await alertRow.waitFor({ timeout: 15_000 });

    // The detail, and a verdict.
    await alertRow.getByRole('button').click();
    await lab.page.getByText('Why it matched').waitFor();
    await lab.page.getByLabel('confirmed abuse').check();
    await lab.page.getByLabel(/Note/).fill('Same card-testing ring as case 41');
    await lab.page.getByRole('button', { name: 'Acknowledge' }).click();
    await alertRow.getByText('CONFIRMED_ABUSE').waitFor();
    await check(lab, '11-alert-detail');

    await nav(lab.page, 'Webhooks');
    await lab.page.getByRole('button', { name: 'Deliveries' }).click();
    await lab.page.locator('.delivery summary').first().click();
    await lab.page.getByText('down for maintenance').first().waitFor();
    await check(lab, '12-webhooks');
    await nav(lab.page, 'Keys');
    await check(lab, '13-keys');

    // The operator sees Lab B's health change: a submission, indicators held, a failing receiver.
    await operator.page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(async () => rowB.locator('td').nth(2).textContent(), { timeout: 10_000 }).toBe('just now');
    await expect(rowB.locator('td').nth(3).textContent()).resolves.toBe('1');
    await operator.page.locator('.attention li[data-member="Lab B"]', { hasText: 'failing receiver' }).waitFor();
    await check(operator, '02-members');

    await nav(operator.page, 'Report');
    await operator.page.locator('.tile').first().waitFor();
    await operator.page.locator('canvas').waitFor();
    await check(operator, '04-report');
    await nav(operator.page, 'Suppression');
    await check(operator, '05-suppression');
    await nav(operator.page, 'Audit log');
    await operator.page.getByRole('button', { name: 'Verify chain' }).click();
    await operator.page.getByText('chain intact').waitFor();
    await check(operator, '06-audit');
    await nav(operator.page, 'Quarantine');
    await operator.page.getByText('No quarantined tokens.').waitFor();
    await check(operator, '07-quarantine');

    // Lab A's analyst: the campaign, its bundles and linking token, and the picture of them.
    const analyst = await open();
    await signIn(analyst, labA);
    await nav(analyst.page, 'Campaigns');
    await analyst.page.locator('tr[data-campaign] button').click();
    await analyst.page.locator('tr[data-bundle="hydra-2"]', { hasText: 'found only through the campaign' }).waitFor();
    await analyst.page
      .getByRole('img', { name: /2 of your bundles \(1 with a direct match\) linked through 1 linking token to 1 other member/ })
      .waitFor();
    await check(analyst, '14-campaign');
  });

  /** Bundles through the API: A's hydra-1 and C's account share a card, A's hydra-2 shares only a device with hydra-1. */
  async function submitCampaign(a: TestMember, c: TestMember): Promise<void> {
    const tok = (type: string, label: string) => ({ type, keyEpoch: '2026-q4', token: testToken(label) });
    const card = tok('PAYMENT_FINGERPRINT', 'hydra-card');
    const device = tok('ACCOUNT_SIGNAL', 'a-device');
    const submit = async (member: TestMember, bundles: { bundleRef: string; indicators: unknown[] }[]) => {
      const res = await ctx.gql(
        'mutation($input: SubmitBundlesInput!) { submitBundles(input: $input) { accepted } }',
        { input: { idempotencyKey: randomUUID(), bundles: bundles.map((b) => ({ ...b, observedAt: '2026-11-20T10:15:00Z' })) } },
        await member.token(),
      );
      expect(res.errors).toBeUndefined();
    };
    await submit(a, [
      { bundleRef: 'hydra-1', indicators: [card, device] },
      { bundleRef: 'hydra-2', indicators: [device] },
    ]);
    await submit(c, [{ bundleRef: 'c-account-9', indicators: [card] }]);
  }
});
