import { createRequire } from 'node:module';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestContext } from './support/context.js';

/**
 * A bounded fuzz of the raw HTTP surface of the API, on loopback only:
 * malformed and huge bodies, deep nesting (JSON and GraphQL), wrong content
 * types and encodings, broken UTF-8, oversized headers, broken framing,
 * every method on every route, garbage on the token endpoint, random paths
 * and a hostile WebSocket client. Broken HTTP and invalid bytes go through
 * raw `node:net` sockets, since fetch would refuse to send them.
 *
 * After every batch the process must still answer /healthz. No answer may
 * be a 5xx, and none may carry a stack trace or a file path.
 */

/** The part of the `ws` client this file uses (the package ships no types of its own). */
interface WsClient {
  on(event: 'open', listener: () => void): void;
  on(event: 'close', listener: (code: number) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  send(data: string | Buffer): void;
  terminate(): void;
}
const WebSocketImpl = createRequire(import.meta.url)('ws') as new (url: string, protocol?: string) => WsClient;
const BODY_LIMIT = 256 * 1024;
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

/** What a stack trace or a server path looks like in an answer. */
const LEAKS = [/\bat .+:\d+:\d+/, /node_modules/, /(?:\/[\w.@-]+){2,}\.(?:ts|js|mjs|cjs)\b/, /\/work\//, /\bError: .*\n\s+at\b/];

/** Whether input, quoted back in an error message, would itself look like a leak (and so prove nothing). */
const echoesLikeALeak = (input: string) => LEAKS.some((leak) => leak.test(input) || leak.test(decodeURIComponentSafe(input)));
function decodeURIComponentSafe(input: string): string {
  try {
    return decodeURIComponent(input);
  } catch {
    return input;
  }
}

interface Answer {
  status: number;
  headers: string;
  body: string;
}

/** Sends raw bytes on a fresh connection and reads until the server closes it (or `timeoutMs`). */
function raw(port: number, bytes: Buffer | string, timeoutMs = 3_000): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!match) return resolve(undefined);
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(match[1]), headers: text.slice(0, split), body: split < 0 ? '' : text.slice(split + 4) });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', done);
    socket.write(bytes);
  });
}

/** An HTTP/1.1 request as bytes, with Connection: close and a correct Content-Length unless told otherwise. */
function request(method: string, path: string, headers: Record<string, string> = {}, body: Buffer | string = ''): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const all: Record<string, string> = { host: '127.0.0.1', connection: 'close', ...headers };
  if (!Object.keys(all).some((h) => h.toLowerCase() === 'content-length' || h.toLowerCase() === 'transfer-encoding')) {
    if (payload.length || method !== 'GET') all['content-length'] = String(payload.length);
  }
  const head = `${method} ${path} HTTP/1.1\r\n${Object.entries(all)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

describe('HTTP fuzz of the API surface (loopback, bounded)', () => {
  let ctx: TestContext;
  let port: number;
  const tally = { requests: 0, byStatus: new Map<number, number>() };

  /** The common checks on any answer: no 5xx (unless `allow5xx`), no stack trace, no file path, no X-Powered-By. */
  const judge = (what: string, answer: Answer | undefined, options: { allowNoAnswer?: boolean } = {}) => {
    tally.requests++;
    if (!answer) {
      expect(options.allowNoAnswer, `${what}: no HTTP answer`).toBe(true);
      return;
    }
    tally.byStatus.set(answer.status, (tally.byStatus.get(answer.status) ?? 0) + 1);
    expect(answer.status, `${what}: ${answer.body.slice(0, 300)}`).toBeLessThan(500);
    for (const leak of LEAKS) expect(answer.body, `${what} leaks ${leak}`).not.toMatch(leak);
    expect(answer.headers.toLowerCase()).not.toContain('x-powered-by');
  };

  const send = async (what: string, bytes: Buffer | string, options: { allowNoAnswer?: boolean; timeoutMs?: number } = {}) => {
    const answer = await raw(port, bytes, options.timeoutMs);
    judge(what, answer, options);
    return answer;
  };

  /** POSTs JSON-ish bytes to /graphql with a content type. */
  const post = (body: Buffer | string, contentType = 'application/json', extra: Record<string, string> = {}) =>
    request('POST', '/graphql', { 'content-type': contentType, ...extra }, body);

  const alive = async () => {
    const res = await fetch(`${ctx.url}/healthz`);
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    ctx = await TestContext.start({ BODY_LIMIT: '256kb', RATE_LIMIT_POINTS: '1000000000' });
    port = Number(new URL(ctx.url).port);
  });
  afterAll(async () => {
    console.info(`http-fuzz: ${tally.requests} requests; by status ${JSON.stringify(Object.fromEntries([...tally.byStatus].sort()))}`);
    await ctx?.close();
  });

  it('answers malformed JSON with a 400 and a JSON error', async () => {
    const fragments = fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      '"',
      ':',
      ',',
      'null',
      'true',
      '1e999',
      'NaN',
      '-',
      '\\',
      '\\u12',
      '//',
      '/*',
      "'",
      '\uFEFF',
      ' ',
      'query',
      '"query"',
      '"variables"',
      '{"query":',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fragments, { minLength: 1, maxLength: 12 }).map((parts) => parts.join('')),
        async (body) => {
          let valid = true;
          try {
            JSON.parse(body);
          } catch {
            valid = false;
          }
          const answer = await send(`malformed JSON ${JSON.stringify(body)}`, post(body));
          if (!valid) {
            expect(answer!.status).toBe(400);
            expect(() => JSON.parse(answer!.body)).not.toThrow();
          }
        },
      ),
      { numRuns: RUNS },
    );
    await alive();
  });

  it('refuses wrong content types, encodings and charsets without a 5xx', async () => {
    const body = JSON.stringify({ query: '{ serverInfo { issuer } }' });
    const cases: [string, Record<string, string>][] = [
      ['text/plain', { 'content-type': 'text/plain' }],
      ['no content type', {}],
      ['form', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }],
      ['application/graphql', { 'content-type': 'application/graphql' }],
      ['utf-16 charset', { 'content-type': 'application/json; charset=utf-16' }],
      ['bogus charset', { 'content-type': 'application/json; charset=bogus-8' }],
      ['gzip, not gzipped', { 'content-type': 'application/json', 'content-encoding': 'gzip' }],
      ['unknown encoding', { 'content-type': 'application/json', 'content-encoding': 'zstd-ish' }],
      ['broken media type', { 'content-type': '/;;;=' }],
      ['very long media type', { 'content-type': `application/${'x'.repeat(4000)}` }],
    ];
    for (const [what, headers] of cases) await send(what, request('POST', '/graphql', headers, body));
    const csrf = await send('text/plain is a simple request', request('POST', '/graphql', { 'content-type': 'text/plain' }, body));
    expect(csrf!.status).toBe(400);
    await alive();
  });

  it('refuses bodies over BODY_LIMIT with 413, also when chunked', async () => {
    const big = JSON.stringify({ query: '{ serverInfo { issuer } }', variables: { x: 'x'.repeat(BODY_LIMIT) } });
    const declared = await send('over the limit', post(big));
    expect(declared!.status).toBe(413);
    expect(JSON.parse(declared!.body).errors[0].extensions.code).toBe('BAD_REQUEST');
    const chunk = Buffer.from(big);
    const chunked = Buffer.concat([
      request('POST', '/graphql', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }),
      Buffer.from(`${chunk.length.toString(16)}\r\n`),
      chunk,
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    const answer = await send('over the limit, chunked', chunked);
    expect(answer!.status).toBe(413);
    // Just under the limit: a huge string is an ordinary (if useless) request.
    const under = JSON.stringify({ query: `{ serverInfo { issuer } } # ${'y'.repeat(BODY_LIMIT - 200)}` });
    await send('just under the limit', post(under));
    await alive();
  });

  it('survives deeply nested JSON and deeply nested GraphQL', async () => {
    const nestedArray = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const nestedObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    for (const depth of [100, 5_000, 40_000]) {
      // Deep JSON where it is parsed, where GraphQL coerces it, and where the JSONObject scalar and the validation pipe walk it.
      await send(`nested array body ${depth}`, post(nestedArray(depth)));
      // Undeclared variables are ignored by GraphQL, but the cost estimate copies every variable.
      const unused = await send(
        `nested unused variables ${depth}`,
        post(`{"query":"{ serverInfo { issuer } }","variables":{"x":${nestedObject(depth)}}}`),
      );
      expect(unused!.status).toBe(200);
      const typed = await send(
        `nested String variable ${depth}`,
        post(`{"query":"query($x: String) { alerts(after: $x) { pageInfo { hasNextPage } } }","variables":{"x":${nestedObject(depth)}}}`),
      );
      expect(typed!.status).toBe(400);
      await send(`nested extensions ${depth}`, post(`{"query":"{ serverInfo { issuer } }","extensions":${nestedObject(depth)}}`));
      const jwk = await send(
        `nested JWK ${depth}`,
        post(
          `{"query":"mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { id } }","variables":{"i":{"invitationToken":"sfinv_${'A'.repeat(43)}","publicJwk":${nestedObject(depth)}}}}`,
        ),
      );
      expect(jwk!.status).toBe(400);
      expect(jwk!.body).toContain('JSONObject must not nest deeper than 32 levels');
      // Deep GraphQL: selections, list values, object values (the JSONObject literal parser recurses).
      const selections = `{ ${'serverInfo { '.repeat(depth)}issuer${' }'.repeat(depth)} }`;
      await send(`nested selections ${depth}`, post(JSON.stringify({ query: selections })));
      const listLiteral = `{ alerts(after: ${nestedArray(depth)}) { pageInfo { hasNextPage } } }`;
      await send(`nested list literal ${depth}`, post(JSON.stringify({ query: listLiteral })));
      const objectLiteral = `mutation { addMemberKey(publicJwk: ${'{a:'.repeat(depth)}1${'}'.repeat(depth)}) { kid } }`;
      await send(`nested object literal ${depth}`, post(JSON.stringify({ query: objectLiteral })));
      await alive();
    }
  });

  it('answers broken UTF-8 in bodies, paths, query strings and headers without a 5xx', async () => {
    const bad = [
      Buffer.from([0xff]),
      Buffer.from([0xc3]),
      Buffer.from([0xe2, 0x82]),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from([0x80, 0x80]),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bad),
        fc.constantFrom('body-string', 'body-key', 'path', 'query', 'header', 'token-form'),
        async (bytes, where) => {
          const json = (inner: Buffer) =>
            Buffer.concat([Buffer.from('{"query":"{ serverInfo { issuer } }","variables":{"x":"'), inner, Buffer.from('"}}')]);
          const key = Buffer.concat([Buffer.from('{"query":"{ serverInfo { issuer } }","'), bytes, Buffer.from('":1}')]);
          const message =
            where === 'body-string'
              ? post(json(bytes))
              : where === 'body-key'
                ? post(key)
                : where === 'path'
                  ? Buffer.concat([Buffer.from('GET /'), bytes, Buffer.from(' HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')])
                  : where === 'query'
                    ? Buffer.concat([
                        Buffer.from('GET /graphql?query='),
                        bytes,
                        Buffer.from(' HTTP/1.1\r\nhost: x\r\napollo-require-preflight: 1\r\nconnection: close\r\n\r\n'),
                      ])
                    : where === 'header'
                      ? Buffer.concat([
                          Buffer.from('GET /healthz HTTP/1.1\r\nhost: x\r\nx-request-id: '),
                          bytes,
                          Buffer.from('\r\nconnection: close\r\n\r\n'),
                        ])
                      : request(
                          'POST',
                          '/oauth/token',
                          { 'content-type': 'application/x-www-form-urlencoded' },
                          Buffer.concat([Buffer.from('grant_type=client_'), bytes]),
                        );
          await send(`broken UTF-8 in ${where}: ${bytes.toString('hex')}`, message);
        },
      ),
      { numRuns: RUNS },
    );
    await alive();
  });

  it('answers oversized headers with 431, and broken framing with 4xx or a closed connection', async () => {
    const big = await send('one 20 KiB header', request('GET', '/healthz', { 'x-big': 'a'.repeat(20 * 1024) }));
    expect(big!.status).toBe(431);
    const many = await send(
      '2,000 headers',
      request('GET', '/healthz', Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`x-h${i}`, 'v']))),
    );
    // Node keeps the first 2,000 headers (maxHeadersCount) and drops the rest: an ordinary answer.
    expect(many!.status).toBeLessThan(500);
    const longPath = await send('20 KiB path', request('GET', `/${'p'.repeat(20 * 1024)}`));
    expect(longPath!.status).toBe(431);

    const framing: [string, string][] = [
      ['no version', 'GET /healthz\r\n\r\n'],
      ['bad method', 'FOO\x01 /healthz HTTP/1.1\r\nhost: x\r\n\r\n'],
      ['bare LF', 'GET /healthz HTTP/1.1\nhost: x\n\n'],
      ['header without colon', 'GET /healthz HTTP/1.1\r\nhost x\r\n\r\n'],
      ['NUL in header', 'GET /healthz HTTP/1.1\r\nhost: x\r\nx-a: a\x00b\r\n\r\n'],
      [
        'CL and TE together (smuggling)',
        'POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\ncontent-type: application/json\r\n\r\n0\r\n\r\n',
      ],
      ['two different CLs', 'POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}x'],
      ['negative CL', 'POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-length: -1\r\n\r\n'],
      ['non-numeric CL', 'POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-length: ten\r\n\r\n'],
      [
        'bad chunk size',
        'POST /graphql HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\ncontent-type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
      ],
      ['unknown transfer encoding', 'POST /graphql HTTP/1.1\r\nhost: x\r\ntransfer-encoding: gzip, chunked, rot13\r\n\r\n0\r\n\r\n'],
      ['HTTP/0.9', 'GET /healthz\r\n'],
      ['HTTP/2 preface on HTTP/1', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
      [
        'absolute URI to elsewhere',
        'GET http://169.254.169.254/latest/meta-data HTTP/1.1\r\nhost: 169.254.169.254\r\nconnection: close\r\n\r\n',
      ],
      ['garbage', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'],
    ];
    // Side by side: a server that waits for the rest of a broken request must not hold up the others.
    await Promise.all(framing.map(([what, bytes]) => send(what, Buffer.from(bytes, 'latin1'), { allowNoAnswer: true, timeoutMs: 1_500 })));
    // A body shorter than its Content-Length, then the client goes away; and a request cut off mid-header.
    await send(
      'short body, client leaves',
      'POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"query"',
      {
        allowNoAnswer: true,
        timeoutMs: 300,
      },
    );
    await send('cut off mid-header', 'GET /healthz HTTP/1.1\r\nhost: x\r\nx-slow: ', { allowNoAnswer: true, timeoutMs: 300 });
    await alive();
  });

  it('answers every method on every route without a 5xx', async () => {
    const paths = [
      '/graphql',
      '/oauth/token',
      '/.well-known/jwks.json',
      '/.well-known/oauth-authorization-server',
      '/healthz',
      '/readyz',
      '/metrics',
    ];
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'CONNECT', 'PROPFIND'];
    const bodies = ['', '{}', 'null', '[]', '{"query":"{ serverInfo { issuer } }"}', 'grant_type=client_credentials'];
    let i = 0;
    for (const path of paths) {
      for (const method of methods) {
        const body = bodies[i++ % bodies.length];
        const contentType = body.startsWith('grant') ? 'application/x-www-form-urlencoded' : 'application/json';
        await send(
          `${method} ${path}`,
          request(method, path, { 'content-type': contentType }, method === 'GET' || method === 'HEAD' ? '' : body),
          {
            // HEAD answers carry no body; CONNECT to a path is refused at the parser.
            allowNoAnswer: method === 'CONNECT',
            timeoutMs: 1_500,
          },
        );
      }
    }
    const jwks = await fetch(`${ctx.url}/.well-known/jwks.json?x=${'%ff'.repeat(50)}&kid[]=1`);
    expect(jwks.status).toBe(200);
    const keys = (await jwks.json()) as { keys: Record<string, unknown>[] };
    for (const key of keys.keys) expect(Object.keys(key)).not.toContain('d');
    await alive();
  });

  it('answers garbage on the token endpoint with a 400 and an RFC 6749 error', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom(
        'client_credentials',
        'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        'a.b.c',
        'eyJhbGciOiJub25lIn0.e30.',
        '%00',
        '%ff%fe',
        'x'.repeat(10_000),
      ),
    );
    const names = fc.constantFrom(
      'grant_type',
      'client_assertion_type',
      'client_assertion',
      'client_id',
      'scope',
      '__proto__',
      'constructor',
      'a[b]',
      'x',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(names, value), { maxLength: 6 }),
        fc.constantFrom(
          'application/x-www-form-urlencoded',
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded; charset=latin1',
        ),
        async (pairs, contentType) => {
          const body =
            contentType === 'application/json'
              ? JSON.stringify(Object.fromEntries(pairs))
              : pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&');
          const answer = await send(
            `token endpoint ${contentType} ${body.slice(0, 200)}`,
            request('POST', '/oauth/token', { 'content-type': contentType }, body),
          );
          expect([400, 413, 415]).toContain(answer!.status);
          if (answer!.status === 400 && !answer!.headers.toLowerCase().includes('transfer-encoding: chunked')) {
            const parsed = JSON.parse(answer!.body) as { error?: string; errors?: unknown };
            expect(parsed.error ?? parsed.errors).toBeTruthy();
          }
        },
      ),
      { numRuns: RUNS },
    );
    await alive();
  });

  it('answers random paths with 404 (or the route), never a 5xx', async () => {
    const segment = fc.oneof(
      fc.webSegment(),
      fc.constantFrom(
        '..',
        '%2e%2e',
        '%00',
        '%ff',
        '%',
        '%%',
        '~',
        'graphql',
        '.well-known',
        'oauth',
        'healthz',
        'src',
        '.env',
        'etc',
        'passwd',
        '%5c',
        ';',
        '@',
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { maxLength: 6 }), fc.option(fc.webQueryParameters()), async (segments, query) => {
        const path = `/${segments.join('/')}${query ? `?${query}` : ''}`;
        if (echoesLikeALeak(path)) return; // a 404 names the path it was asked for
        await send(`GET ${path}`, request('GET', path.replace(/ /g, '%20')));
      }),
      { numRuns: RUNS },
    );
    await alive();
  });

  it('refuses GETs without a preflight header and survives junk GraphQL over GET', async () => {
    const plain = await send(
      'GET without preflight header',
      request('GET', `/graphql?query=${encodeURIComponent('{ serverInfo { issuer } }')}`),
    );
    expect(plain!.status).toBe(400);
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), fc.string({ maxLength: 50 }), async (query, variables) => {
        if (echoesLikeALeak(query + variables)) return; // error messages may quote the document
        const path = `/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(variables)}&extensions=${encodeURIComponent(variables)}`;
        await send(`GET ${path.slice(0, 100)}`, request('GET', path, { 'apollo-require-preflight': 'true' }));
      }),
      { numRuns: RUNS },
    );
    await alive();
  });

  it('survives a hostile WebSocket client on /graphql', async () => {
    const session = (messages: (string | Buffer)[], protocol = 'graphql-transport-ws') =>
      new Promise<{ code: number }>((resolve) => {
        const socket = new WebSocketImpl(`${ctx.url.replace(/^http/, 'ws')}/graphql`, protocol);
        const timer = setTimeout(() => socket.terminate(), 2_000);
        socket.on('open', () => {
          for (const m of messages) socket.send(m);
        });
        socket.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code });
        });
        socket.on('error', () => undefined);
      });
    const init = JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer x.y.z' } });
    const cases: [(string | Buffer)[], string?][] = [
      [['not json']],
      [[Buffer.from([0xff, 0xfe, 0x00])]],
      [[JSON.stringify({ type: 'subscribe', id: '1', payload: { query: 'subscription { alertEvents { type } }' } })]],
      [[init, init]],
      [[init, JSON.stringify({ type: 'subscribe', id: '1', payload: { query: '{'.repeat(10_000) } })]],
      [[init, JSON.stringify({ type: 'subscribe', id: '1', payload: null })]],
      [[JSON.stringify({ type: 'connection_init', payload: '{"a":'.repeat(2_000) })]],
      [['x'.repeat(200_000)]],
      [[init], 'graphql-ws'],
      [[init], 'bogus-protocol'],
    ];
    for (const [messages, protocol] of cases) {
      const { code } = await session(messages, protocol);
      tally.requests++;
      // graphql-ws closes bad clients with 44xx (or 1002 for a wrong subprotocol); 1011 would be an internal error.
      expect(code, JSON.stringify(messages).slice(0, 100)).not.toBe(1011);
    }
    await alive();
  });
});
