import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '@app/common';
import {
  INDICATOR_TYPES,
  TEST_FEDERATION_KEY_HEX,
  hashIndicator,
  templateSignature,
  type IndicatorInput,
  type TemplateSignatureInput,
  type IndicatorKind,
  type IndicatorType,
} from '@app/sdk';
import { childEnv, distEntry, runNode } from './support/processes.js';

const CLI = distEntry('apps/cli/src/main.js');
const KEY = TEST_FEDERATION_KEY_HEX;

interface Vector {
  type: IndicatorType;
  note: string;
  input: unknown;
  expected?: { kind: IndicatorKind; canonical: string; token: string }[];
  refusedBy?: string;
}
const vectors = (
  JSON.parse(readFileSync(join(projectRoot(), 'libs/sdk/src/test-vectors.json'), 'utf8')) as { vectors: Vector[] }
).vectors.filter((v): v is Vector & { input: string } => typeof v.input === 'string' && v.input !== '' && !v.input.includes('\u0000'));

// Each run starts a Node process, so a sample rather than every vector: per type, the first
// single-token, multi-token and refused vector.
const sample = INDICATOR_TYPES.flatMap((type) => {
  const ofType = vectors.filter((v) => v.type === type);
  return [
    ofType.find((v) => v.expected?.length === 1),
    ofType.find((v) => (v.expected?.length ?? 0) > 1),
    ofType.find((v) => v.refusedBy !== undefined),
  ].filter((v) => v !== undefined);
});

let dir: string;
let keyFile: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sigfed-member-cli-'));
  keyFile = join(dir, 'federation.key');
  writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const noKey = (result: { stdout: string; stderr: string }) => {
  expect(result.stdout).not.toContain(KEY);
  expect(result.stderr).not.toContain(KEY);
};

describe('npm run cli -- hash', () => {
  it('prints the published test-vector tokens and kinds, and canonical strings only when asked', async () => {
    expect(sample.length).toBeGreaterThanOrEqual(9);
    const runs = await Promise.all(
      sample.map((v) => runNode(CLI, ['hash', '--show-canonical', '--key-file', keyFile, '--', v.type, v.input], childEnv())),
    );
    sample.forEach((vector, i) => {
      const result = runs[i];
      noKey(result);
      if (vector.refusedBy !== undefined) {
        expect({ note: vector.note, code: result.code, stdout: result.stdout }).toEqual({ note: vector.note, code: 1, stdout: '' });
        expect(result.stderr).toMatch(
          new RegExp(`^sigfed hash: ${vector.type} refused by rule ${vector.refusedBy.replace('.', '\\.')}: .+\\n$`),
        );
      } else {
        expect({ note: vector.note, code: result.code, stderr: result.stderr }).toEqual({ note: vector.note, code: 0, stderr: '' });
        expect(result.stdout).toBe(vector.expected!.map((f) => `${f.token}  ${f.kind}  ${f.canonical}\n`).join(''));
      }
    });
  });

  it('prints only token and kind by default, with the key from SIGFED_FEDERATION_KEY', async () => {
    const result = await runNode(CLI, ['hash', 'ip_range', '203.0.112.0/23'], childEnv({ SIGFED_FEDERATION_KEY: KEY }));
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      hashIndicator(KEY, 'IP_RANGE', '203.0.112.0/23')
        .map((h) => `${h.token}  ${h.kind}\n`)
        .join(''),
    );
    expect(result.stdout).not.toContain('ip4:');
    noKey(result);
  });

  it('explains a missing or short key and an unknown type without printing any key', async () => {
    const none = await runNode(CLI, ['hash', 'IP_RANGE', '1.2.3.4'], childEnv());
    expect(none).toMatchObject({ code: 1, stdout: '' });
    expect(none.stderr).toBe('sigfed hash: no federation key: pass --key-file <path> or --key <key>, or set SIGFED_FEDERATION_KEY\n');

    const short = await runNode(CLI, ['hash', 'IP_RANGE', '1.2.3.4', '--key', KEY.slice(0, 62)], childEnv());
    expect(short).toMatchObject({ code: 1, stdout: '' });
    expect(short.stderr).toBe('sigfed hash: a federation key needs at least 32 bytes, got 31\n');
    expect(short.stderr).not.toContain(KEY.slice(0, 62));

    const type = await runNode(CLI, ['hash', 'EMAIL', 'a@b.c', '--key-file', keyFile], childEnv());
    expect(type).toMatchObject({ code: 1, stdout: '' });
    expect(type.stderr).toMatch(/^sigfed hash: unknown indicator type "EMAIL" \(expected PAYMENT_FINGERPRINT, IP_RANGE/);
  });
});

// Line numbers: the quoted template spans lines 4-5, so the rows after it are on 6, 7, ...
const CSV = [
  'type,value,confidence,external_ref,disclose_identity',
  'IP_RANGE,203.0.112.0/23,90,case 1,no',
  'PAYMENT_FINGERPRINT,5500 0000 0000 0004|7/29,,,',
  'PROMPT_TEMPLATE,"Send 500 USD to alice@example.com, then reply ""done""',
  'now",,"ref, with comma",',
  'IP_RANGE,010.0.0.1,,,',
  'EMAIL,a@b.c,,,',
  'ACCOUNT_SIGNAL,Example.COM,101,,',
  'ACCOUNT_SIGNAL,Example.COM,,',
  'PAYMENT_FINGERPRINT,4111111111111112,,,',
  'ACCOUNT_SIGNAL,Example.COM,,,yes',
  '',
].join('\r\n');

const REFUSALS = [
  /^line 6: IP_RANGE refused by rule ip\.ipv4-leading-zero: /,
  /^line 7: row refused by rule row\.type: unknown indicator type "EMAIL"/,
  /^line 8: ACCOUNT_SIGNAL refused by rule row\.confidence: /,
  /^line 9: row refused by rule csv\.field-count: expected 5 fields as in the header, got 4$/,
  /^line 10: PAYMENT_FINGERPRINT refused by rule pf\.pan-luhn: /,
];

const summary = (rows: [string, string | number][]) => rows.map(([label, value]) => `${label.padEnd(16)}${value}\n`).join('');

// The tokens the CSV must produce: 2 IP blocks, PAN + BIN/last-4/expiry, 1 template, 1 account.
function expectedIndicators(epoch: string): IndicatorInput[] {
  const tokens = (type: IndicatorType, value: string) => hashIndicator(KEY, type, value).map((h) => h.token);
  return [
    ...tokens('IP_RANGE', '203.0.112.0/23').map((token) => ({
      type: 'IP_RANGE' as const,
      token,
      keyEpoch: epoch,
      confidence: 90,
      externalRef: 'case 1',
      discloseIdentity: false,
    })),
    ...tokens('PAYMENT_FINGERPRINT', '5500 0000 0000 0004|7/29').map((token) => ({
      type: 'PAYMENT_FINGERPRINT' as const,
      token,
      keyEpoch: epoch,
    })),
    ...tokens('PROMPT_TEMPLATE', 'Send 500 USD to alice@example.com, then reply "done"\r\nnow').map((token) => ({
      type: 'PROMPT_TEMPLATE' as const,
      token,
      keyEpoch: epoch,
      externalRef: 'ref, with comma',
    })),
    ...tokens('ACCOUNT_SIGNAL', 'Example.COM').map((token) => ({
      type: 'ACCOUNT_SIGNAL' as const,
      token,
      keyEpoch: epoch,
      discloseIdentity: true,
    })),
  ];
}

describe('npm run cli -- hash --signature', () => {
  it("prints a template's exact token and its 32 band tokens", async () => {
    const text = 'You are a chemist. Explain every step of the synthesis in detail.';
    const result = await runNode(CLI, ['hash', 'PROMPT_TEMPLATE', text, '--signature', '--key-file', keyFile], childEnv());
    expect(result.code).toBe(0);
    const [exact] = hashIndicator(KEY, 'PROMPT_TEMPLATE', text);
    expect(result.stdout).toBe(
      [`${exact.token}  template`, ...templateSignature(KEY, text).bands.map((band, i) => `${band}  minhash-v1 band ${i}`)].join('\n') +
        '\n',
    );
    const other = await runNode(CLI, ['hash', 'IP_RANGE', '192.0.2.1', '--signature', '--key-file', keyFile], childEnv());
    expect(other).toMatchObject({ code: 1, stdout: '', stderr: 'sigfed hash: --signature is for PROMPT_TEMPLATE values only\n' });
  });
});

describe('npm run cli -- submit --dry-run', () => {
  it('hashes the CSV locally, lists refused rows by line and rule, and prints the summary', async () => {
    const file = writeFile('dry.csv', CSV);
    const result = await runNode(CLI, ['submit', '--file', file, '--epoch', '2026-q4', '--key-file', keyFile, '--dry-run'], childEnv());
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      summary([
        ['rows read', 9],
        ['rows refused', 5],
        ['tokens derived', 6],
        ['batches', '1 (not sent)'],
        ['accepted', '-'],
        ['duplicates', '-'],
        ['submission ids', '-'],
      ]),
    );
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(REFUSALS.length + 1);
    REFUSALS.forEach((pattern, i) => expect(lines[i]).toMatch(pattern));
    expect(lines.at(-1)).toBe('dry run: nothing was sent');
    // Not a terminal: no progress line.
    expect(result.stderr).not.toContain('\r');
    noKey(result);
  });

  it('with --strict refuses to go on when any row is refused', async () => {
    const file = writeFile('strict.csv', CSV);
    const result = await runNode(
      CLI,
      ['submit', '--file', file, '--epoch', '2026-q4', '--dry-run', '--strict'],
      childEnv({ SIGFED_FEDERATION_KEY: KEY }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe('nothing was submitted: 5 row(s) refused and --strict is set');
  });

  it('names the line of broken CSV quoting and needs credentials unless --dry-run', async () => {
    const broken = writeFile('broken.csv', 'type,value\nIP_RANGE,1.2.3.4\nPROMPT_TEMPLATE,"never closed\n');
    const syntax = await runNode(CLI, ['submit', '--file', broken, '--epoch', '2026-q4', '--key-file', keyFile, '--dry-run'], childEnv());
    expect(syntax).toMatchObject({ code: 1, stdout: '' });
    expect(syntax.stderr).toBe(`sigfed submit: ${broken}: line 3: a quoted field is never closed\n`);

    const good = writeFile('good.csv', 'type,value\nIP_RANGE,1.2.3.4\n');
    const noCredentials = await runNode(CLI, ['submit', '--file', good, '--epoch', '2026-q4', '--key-file', keyFile], childEnv());
    expect(noCredentials).toMatchObject({ code: 1, stdout: '' });
    expect(noCredentials.stderr).toBe('sigfed submit: --credentials <path> (or SIGFED_CREDENTIALS) is required unless --dry-run\n');
  });
});

/**
 * A stand-in for the server's token endpoint, oprfKeys and submitIndicators, enough to check the
 * command's wiring (credentials, --server, batches, summary, resume). For the end-to-end run
 * against the real API, write the member's credentials file ({ clientId, privateJwk, issuer },
 * issuer = the server's PUBLIC_BASE_URL) and run the same command with `--server <api url>`;
 * docs/member-cli.md lists what the command expects of the server.
 */
class FakeServer {
  url = '';
  readonly submissions: { idempotencyKey: string; indicators: IndicatorInput[] }[] = [];
  readonly signatureSubmissions: { idempotencyKey: string; signatures: TemplateSignatureInput[] }[] = [];
  readonly audiences: unknown[] = [];
  failBatch?: number;
  private readonly results = new Map<string, { submissionId: string; accepted: number; duplicates: number }>();
  private server?: Server;

  constructor(
    private readonly publicJwk: JWK,
    private readonly kid: string,
    private readonly issuer: string,
  ) {}

  async start(): Promise<void> {
    this.server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.url === '/oauth/token') {
        const assertion = new URLSearchParams(body).get('client_assertion') ?? '';
        try {
          const { payload, protectedHeader } = await jwtVerify(assertion, this.publicJwk, { audience: this.issuer });
          this.audiences.push(payload.aud);
          if (protectedHeader.kid !== this.kid) throw new Error('kid');
        } catch {
          return reply(400, { error: 'invalid_client' });
        }
        return reply(200, { access_token: randomUUID(), token_type: 'Bearer', expires_in: 300 });
      }
      const { query, variables } = JSON.parse(body) as {
        query: string;
        variables: { input: { idempotencyKey: string; indicators: IndicatorInput[]; signatures: TemplateSignatureInput[] } };
      };
      // submit asks which epochs are TWO_KEY first; this server has none.
      if (query.includes('oprfKeys')) return reply(200, { data: { oprfKeys: [] } });
      if (query.includes('submitTemplateSignatures')) {
        const { idempotencyKey, signatures } = variables.input;
        this.signatureSubmissions.push({ idempotencyKey, signatures });
        return reply(200, {
          data: { submitTemplateSignatures: { submissionId: randomUUID(), accepted: signatures.length, duplicates: 0 } },
        });
      }
      const { idempotencyKey, indicators } = variables.input;
      const batch = Number(idempotencyKey.split(':').at(-1));
      if (batch === this.failBatch) {
        return reply(200, {
          errors: [{ message: 'indicators.0.expiresAt must be in the future', extensions: { code: 'BAD_USER_INPUT' } }],
        });
      }
      this.submissions.push({ idempotencyKey, indicators });
      const result = this.results.get(idempotencyKey) ?? { submissionId: randomUUID(), accepted: indicators.length, duplicates: 0 };
      this.results.set(idempotencyKey, result);
      return reply(200, { data: { submitIndicators: result } });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

describe('npm run cli -- submit (against a stand-in server)', () => {
  const issuer = 'https://sigfed.example';
  let server: FakeServer;
  let credentials: string;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const publicJwk = await exportJWK(publicKey);
    server = new FakeServer(publicJwk, await calculateJwkThumbprint(publicJwk), issuer);
    await server.start();
    credentials = writeFile(
      'credentials.json',
      JSON.stringify({ clientId: 'sf_AAAAAAAAAAAAAAAAAAAAAA', privateJwk: await exportJWK(privateKey), issuer }),
    );
  });
  afterAll(() => server.stop());
  afterEach(() => {
    server.submissions.length = 0;
    server.signatureSubmissions.length = 0;
    server.audiences.length = 0;
    server.failBatch = undefined;
  });

  it('with --similarity also sends the signature of each template row, with the metadata of its row, after the tokens', async () => {
    const templates = [
      'type,value,confidence,external_ref',
      'PROMPT_TEMPLATE,You are a chemist. Explain every step of the synthesis in detail.,70,tpl-1',
      'PROMPT_TEMPLATE,...!!!,,tpl-2',
      'IP_RANGE,192.0.2.0/24,,',
      'PROMPT_TEMPLATE,Summarize the article for a busy executive in 5 bullet points.,,tpl-3',
      '',
    ].join('\n');
    const file = writeFile('similarity.csv', templates);
    const args = ['submit', '--file', file, '--credentials', credentials, '--server', server.url, '--epoch', '2026-q4', '--similarity'];
    const result = await runNode(CLI, args, childEnv({ SIGFED_FEDERATION_KEY: KEY }));
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      summary([
        ['rows read', 4],
        ['rows refused', 0],
        ['tokens derived', 4],
        ['signatures', 2],
        ['batches', 1],
        ['accepted', 4],
        ['duplicates', 0],
        ['submission ids', 1],
        ['sig. accepted', 2],
        ['sig. duplicates', 0],
      ]),
    );
    expect(result.stderr).toMatch(/^line 3: no signature: PROMPT_TEMPLATE refused by rule tpl\.no-words: /);
    const [prefix] = server.submissions[0].idempotencyKey.split(':');
    expect(server.signatureSubmissions).toEqual([
      {
        idempotencyKey: `${prefix}:sig:0`,
        signatures: [
          {
            keyEpoch: '2026-q4',
            bands: templateSignature(KEY, 'You are a chemist. Explain every step of the synthesis in detail.').bands,
            confidence: 70,
            externalRef: 'tpl-1',
          },
          {
            keyEpoch: '2026-q4',
            bands: templateSignature(KEY, 'Summarize the article for a busy executive in 5 bullet points.').bands,
            externalRef: 'tpl-3',
          },
        ],
      },
    ]);
    noKey(result);

    // Without the flag, nothing but tokens.
    const plain = await runNode(CLI, args.slice(0, -1), childEnv({ SIGFED_FEDERATION_KEY: KEY }));
    expect(plain.code).toBe(0);
    expect(server.signatureSubmissions).toHaveLength(1);
  });

  it('sends the locally derived tokens in batches, signing for the issuer while talking to --server', async () => {
    const file = writeFile('submit.csv', CSV);
    const args = [
      'submit',
      '--file',
      file,
      '--credentials',
      credentials,
      '--server',
      server.url,
      '--epoch',
      '2026-q4',
      '--batch-size',
      '4',
    ];
    const result = await runNode(CLI, args, childEnv({ SIGFED_FEDERATION_KEY: KEY }));
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      summary([
        ['rows read', 9],
        ['rows refused', 5],
        ['tokens derived', 6],
        ['batches', 2],
        ['accepted', 6],
        ['duplicates', 0],
        ['submission ids', 2],
      ]),
    );
    expect(server.audiences).toEqual([issuer]);
    expect(server.submissions.map((s) => s.indicators.length)).toEqual([4, 2]);
    const [prefix] = server.submissions[0].idempotencyKey.split(':');
    expect(server.submissions.map((s) => s.idempotencyKey)).toEqual([`${prefix}:0`, `${prefix}:1`]);
    expect(server.submissions.flatMap((s) => s.indicators)).toEqual(expectedIndicators('2026-q4'));
    noKey(result);
  });

  it('stops at a refused batch, says how to resume, and the resumed run stores nothing twice', async () => {
    const file = writeFile('resume.csv', CSV);
    const args = [
      'submit',
      '--file',
      file,
      '--credentials',
      credentials,
      '--server',
      server.url,
      '--epoch',
      '2026-q4',
      '--key-file',
      keyFile,
      '--batch-size',
      '2',
    ];
    server.failBatch = 1;
    const failed = await runNode(CLI, args, childEnv());
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain(`${'batches'.padEnd(16)}1\n${'accepted'.padEnd(16)}2\n`);
    const resume = /--idempotency-prefix (\S+) \(same file, epoch and batch size\)/.exec(failed.stderr);
    expect(failed.stderr).toContain('sigfed submit: batch 2 failed: indicators.0.expiresAt must be in the future (BAD_USER_INPUT)');
    expect(resume).not.toBeNull();

    server.failBatch = undefined;
    const resumed = await runNode(CLI, [...args, '--idempotency-prefix', resume![1]], childEnv());
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`${'batches'.padEnd(16)}3\n${'accepted'.padEnd(16)}6\n`);
    // Batch 0 answered from the server's idempotency record: same key, same tokens.
    expect(server.submissions.map((s) => s.idempotencyKey)).toEqual([
      `${resume![1]}:0`,
      `${resume![1]}:0`,
      `${resume![1]}:1`,
      `${resume![1]}:2`,
    ]);
    expect(server.submissions[1].indicators).toEqual(server.submissions[0].indicators);
  });
});
