import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, projectRoot } from '@app/common';
import { TestContext, testToken } from './support/context.js';
import { until } from './support/wait.js';
import { startWorker } from './support/webhooks.js';

/** The receiver exactly as docs/integration-guide.md prints it. */
function receiverFromGuide(): string {
  const guide = readFileSync(join(projectRoot(), 'docs', 'integration-guide.md'), 'utf8');
  const block = /```js\n(\/\/ receiver\.mjs[\s\S]*?)```/.exec(guide);
  if (!block) throw new Error('docs/integration-guide.md has no ```js block starting with // receiver.mjs');
  return block[1];
}

describe('the receiver in the integration guide', () => {
  const policy = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' };
  let api: TestContext;
  let worker: INestApplication;
  let receiver: ChildProcess | undefined;
  let stdout = '';
  let stderr = '';

  beforeAll(async () => {
    api = await TestContext.start(policy);
    worker = await startWorker({ ...policy, WEBHOOK_RETRY_SCHEDULE: '0,200ms' });
  });
  afterAll(async () => {
    receiver?.kill();
    await worker?.close();
    await api?.close();
  });

  it('is about thirty lines, verifies deliveries, and handles a redelivered one only once', async () => {
    const code = receiverFromGuide();
    expect(code.trim().split('\n').length).toBeLessThanOrEqual(35);

    const port = await freePort();
    const [a, b] = [await api.newMember(), await api.newMember()];
    const endpoint = await api.newEndpoint(a, { url: `http://127.0.0.1:${port}/` });
    // Run from the project root so `standardwebhooks` resolves as it would in the reader's project.
    receiver = spawn(process.execPath, ['--input-type=module', '--eval', code], {
      cwd: projectRoot(),
      env: { PATH: process.env.PATH, PORT: String(port), WEBHOOK_SECRET: endpoint.secret },
    });
    receiver.stdout!.on('data', (d) => (stdout += d));
    receiver.stderr!.on('data', (d) => (stderr += d));
    await until(() => stderr.includes('listening'), 'receiver listening');

    await api.shareToken([a, b], testToken('guide'));
    await until(() => stdout.includes('alert.created'), 'receiver logged the event');
    const logged = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; type: string; alert: string; version: number });
    const alert = await api.db.alert.findFirstOrThrow({ where: { memberId: a.id } });
    expect(logged).toEqual([{ id: expect.stringMatching(/^msg_/), type: 'alert.created', alert: alert.id, version: 1 }]);

    // A redelivery carries the same webhook-id: acknowledged, not handled again.
    await until(
      async () => (await api.db.webhookDelivery.count({ where: { endpointId: endpoint.id, status: 'SUCCEEDED' } })) === 1,
      'delivered',
    );
    const delivery = await api.db.webhookDelivery.findFirstOrThrow({ where: { endpointId: endpoint.id } });
    const again = await api.gql(`mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }`, { id: delivery.id }, endpoint.token);
    expect(again.errors).toBeUndefined();
    await until(async () => (await api.db.webhookDeliveryAttempt.count({ where: { deliveryId: delivery.id } })) === 2, 'redelivered');
    const attempts = await api.db.webhookDeliveryAttempt.findMany({ where: { deliveryId: delivery.id }, orderBy: { attemptedAt: 'asc' } });
    expect(attempts.map((x) => [x.statusCode, x.responseBody])).toEqual([
      [204, ''],
      [200, 'duplicate'],
    ]);
    expect(stdout.trim().split('\n')).toHaveLength(1);

    // Anything not signed with the endpoint's secret is refused.
    const forged = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: {
        'webhook-id': 'msg_forged',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      },
      body: JSON.stringify({ type: 'alert.created', timestamp: new Date().toISOString(), data: {} }),
    });
    expect(forged.status).toBe(400);
  });
});
