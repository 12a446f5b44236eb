import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AddressPolicy, type Resolver } from './address-policy.js';
import { ConnectionPool, postWebhook } from './http-post.js';

const loopbackAllowed = new AddressPolicy({ allowHttp: true, allowedCidrs: ['127.0.0.1/32'] });
const servers: (Server | TcpServer)[] = [];

async function serve(handler: Parameters<typeof createServer>[1]): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    if ('closeAllConnections' in server) server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const options = { policy: loopbackAllowed, timeoutMs: 2_000, maxBodyBytes: 16 };

describe('postWebhook', () => {
  it('connects to the address the policy approved, not to what the name resolves to later', async () => {
    let seen: { host?: string; body: string } | undefined;
    const port = await serve((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen = { host: req.headers.host, body };
        res.writeHead(202).end('accepted');
      });
    });
    // receiver.test exists nowhere but in this resolver, which is asked once.
    let asked = 0;
    const resolver: Resolver = async () => (asked++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.9.9.9', family: 4 }]);
    const outcome = await postWebhook(`http://receiver.test:${port}/in`, '{"a":1}', { 'x-test': '1' }, { ...options, resolver });
    expect(outcome).toMatchObject({ statusCode: 202, body: 'accepted' });
    expect(asked).toBe(1);
    expect(seen).toEqual({ host: `receiver.test:${port}`, body: '{"a":1}' });
  });

  it('refuses before connecting when the destination is not allowed', async () => {
    const outcome = await postWebhook(
      'http://internal.test/',
      '{}',
      {},
      {
        ...options,
        policy: new AddressPolicy({ allowHttp: true, allowedCidrs: [] }),
        resolver: async () => [{ address: '127.0.0.1', family: 4 }],
      },
    );
    expect(outcome.statusCode).toBeUndefined();
    expect(outcome.error).toBe('refused: internal.test resolves to 127.0.0.1 is a loopback address');
  });

  it('reads at most maxBodyBytes of the answer and does not follow redirects', async () => {
    const port = await serve((_req, res) => res.writeHead(301, { location: 'http://127.0.0.1:1/' }).end('x'.repeat(100_000)));
    const outcome = await postWebhook(`http://127.0.0.1:${port}/`, '{}', {}, options);
    expect(outcome.statusCode).toBe(301);
    expect(outcome.body).toBe('x'.repeat(16));
  });

  it('gives up after timeoutMs', async () => {
    const port = await serve(() => undefined);
    const outcome = await postWebhook(`http://127.0.0.1:${port}/`, '{}', {}, { ...options, timeoutMs: 200 });
    expect(outcome.error).toBe('timed out after 200 ms');
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(190);
  });

  it('reports connection errors instead of throwing', async () => {
    const port = await serve(() => undefined);
    const server = servers[0] as Server;
    server.close();
    server.closeAllConnections();
    await new Promise((r) => setTimeout(r, 50));
    const outcome = await postWebhook(`http://127.0.0.1:${port}/`, '{}', {}, options);
    expect(outcome.error).toMatch(/^ECONNREFUSED/);
  });
});

describe('postWebhook with a connection pool', () => {
  const pool = new ConnectionPool();
  afterEach(() => pool.destroy());

  it('reuses an idle connection to the same approved address', async () => {
    const peers = new Set<string>();
    const port = await serve((req, res) => {
      peers.add(`${req.socket.remotePort}`);
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    for (let i = 0; i < 3; i++) {
      expect(await postWebhook(`http://127.0.0.1:${port}/`, '{}', {}, { ...options, pool })).toMatchObject({ statusCode: 204 });
    }
    expect(peers.size).toBe(1);
  });

  it('connects anew when the name now resolves elsewhere, and checks that address too', async () => {
    const port = await serve((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    let answer = '127.0.0.1';
    const resolver: Resolver = async () => [{ address: answer, family: 4 }];
    const policy = new AddressPolicy({ allowHttp: true, allowedCidrs: ['127.0.0.1/32', '127.0.0.2/32'] });
    const post = () => postWebhook(`http://moving.test:${port}/`, '{}', {}, { ...options, policy, resolver, pool });
    expect(await post()).toMatchObject({ statusCode: 204 });
    // Nothing listens on 127.0.0.2: the idle connection to 127.0.0.1 was not reused for it.
    answer = '127.0.0.2';
    expect((await post()).error).toMatch(/^ECONNREFUSED/);
    // And an address the policy refuses is refused, idle connections or not.
    answer = '127.0.0.3';
    expect((await post()).error).toBe('refused: moving.test resolves to 127.0.0.3 is a loopback address');
  });

  it('sends again on a fresh connection when a reused one turns out closed, before any answer', async () => {
    // Answers the first request of each connection (keep-alive), and resets the connection on the second.
    let connections = 0;
    const server = createTcpServer((socket: Socket) => {
      connections++;
      let requests = 0;
      socket.on('data', (chunk) => {
        if (!chunk.toString('latin1').includes('POST ')) return;
        if (++requests === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
        else socket.resetAndDestroy();
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    expect(await postWebhook(`http://127.0.0.1:${port}/`, '{}', {}, { ...options, pool })).toMatchObject({ statusCode: 200, body: 'ok' });
    expect(await postWebhook(`http://127.0.0.1:${port}/`, '{}', {}, { ...options, pool })).toMatchObject({ statusCode: 200, body: 'ok' });
    expect(connections).toBe(2);
  });
});
