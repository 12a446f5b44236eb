import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestContext } from './support/context.js';
import { until } from './support/wait.js';

const REQUEST_TIMEOUT_MS = 1_500;
const SLOW_CLIENTS = 200;

/** A client that sends its headers, then a byte of its declared body every 200 ms, never finishing. */
function slowBody(port: number): { socket: Socket; closedAt: () => number | undefined; stop: () => void } {
  const socket = connect(port, '127.0.0.1');
  let closedAt: number | undefined;
  socket.on('error', () => {});
  socket.on('close', () => (closedAt = Date.now()));
  socket.on('connect', () => {
    socket.write('POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
  });
  const drip = setInterval(() => socket.writable && socket.write(' '), 200);
  return { socket, closedAt: () => closedAt, stop: () => clearInterval(drip) };
}

/** A client that sends part of its headers, then a header byte every 200 ms. */
function slowHeaders(port: number): { closedAt: () => number | undefined; stop: () => void } {
  const socket = connect(port, '127.0.0.1');
  let closedAt: number | undefined;
  socket.on('error', () => {});
  socket.on('close', () => (closedAt = Date.now()));
  socket.on('connect', () => socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '));
  const drip = setInterval(() => socket.writable && socket.write('a'), 200);
  return { closedAt: () => closedAt, stop: () => clearInterval(drip) };
}

describe('slow clients are cut off', () => {
  let ctx: TestContext;
  let port: number;
  beforeAll(async () => {
    ctx = await TestContext.start({
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      HEADERS_TIMEOUT_MS: '1000',
      KEEP_ALIVE_TIMEOUT_MS: '1000',
    });
    port = Number(new URL(ctx.url).port);
  });
  afterAll(async () => ctx?.close());

  it(`closes ${SLOW_CLIENTS} connections that send their body slowly soon after REQUEST_TIMEOUT_MS, and keeps answering`, async () => {
    const started = Date.now();
    const clients = Array.from({ length: SLOW_CLIENTS }, () => slowBody(port));
    try {
      await until(() => clients.every((c) => c.socket.readyState === 'open' || c.closedAt() !== undefined), 'connected', 5_000);
      await until(() => clients.every((c) => c.closedAt() !== undefined), 'all slow-body connections closed', REQUEST_TIMEOUT_MS + 5_000);
      const latest = Math.max(...clients.map((c) => c.closedAt()!)) - started;
      // The timeout counts from each request's start; the server checks at least every second.
      expect(latest).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
      expect(latest).toBeLessThan(REQUEST_TIMEOUT_MS + 2_500);
      const health = await fetch(`${ctx.url}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      for (const c of clients) {
        c.stop();
        c.socket.destroy();
      }
    }
  }, 20_000);

  it('closes a connection that sends its headers slowly after HEADERS_TIMEOUT_MS', async () => {
    const started = Date.now();
    const client = slowHeaders(port);
    try {
      await until(() => client.closedAt() !== undefined, 'slow-header connection closed', 5_000);
      expect(client.closedAt()! - started).toBeLessThan(1_000 + 2_000);
    } finally {
      client.stop();
    }
  });

  it('closes an idle keep-alive connection after KEEP_ALIVE_TIMEOUT_MS', async () => {
    const socket = connect(port, '127.0.0.1');
    let closedAt: number | undefined;
    let answered = 0;
    socket.on('error', () => {});
    socket.on('close', () => (closedAt = Date.now()));
    socket.on('data', () => (answered = Date.now()));
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await until(() => answered > 0, 'answered', 5_000);
    await until(() => closedAt !== undefined, 'idle connection closed', 5_000);
    expect(closedAt! - answered).toBeGreaterThanOrEqual(900);
    expect(closedAt! - answered).toBeLessThan(1_000 + 1_600);
  });
});
