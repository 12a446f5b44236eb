import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decrypt, masterKeyPath } from '@app/secrets';
import { loadConfig } from '@app/config';
import { bootstrapAdmin, createFirstAdminIfNone } from '../../apps/cli/src/commands/bootstrap-admin.command.js';
import { rotateSigningKey } from '../../apps/cli/src/commands/rotate-signing-key.command.js';
import type { MemberCredential } from '../../apps/cli/src/credential-file.js';
import { TestContext } from '../support/context.js';
import { databaseUrlFor, dropDatabase } from '../support/databases.js';
import { decodeParts, signAssertion, type TestKeyPair } from '../support/oauth.js';
import { childEnv, distEntry, RunningProcess } from '../support/processes.js';
import { freePort } from '@app/common';

/** Issuer shared by the API processes of this file, as behind one load balancer. */
const ISSUER = 'https://sigfed.test';

const readCredential = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as MemberCredential;
const asKeyPair = (credential: MemberCredential): TestKeyPair => ({
  alg: 'EdDSA',
  kid: credential.privateJwk.kid!,
  privateJwk: credential.privateJwk,
  publicJwk: {},
});

describe('admin bootstrap and signing-key rotation', () => {
  let ctx: TestContext;
  const dir = mkdtempSync(join(tmpdir(), 'sigfed-cli-'));

  beforeAll(async () => {
    ctx = await TestContext.start({ PUBLIC_BASE_URL: ISSUER });
  });
  afterAll(async () => ctx?.close());

  /** Uses a credential file the way a member would: assertion, token, a query. */
  async function whoAmI(credential: MemberCredential, api = ctx) {
    const answer = await api.requestToken(await signAssertion(asKeyPair(credential), credential.clientId, credential.issuer));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const me = await api.gql<{ me: { clientId: string; role: string; status: string } }>(
      '{ me { clientId role status } }',
      {},
      answer.body.access_token,
    );
    return me.data!.me;
  }

  it('first start on a database without admin creates one, writes <DATA_DIR>/bootstrap-admin.json and says where; once', async () => {
    const lines: string[] = [];
    await createFirstAdminIfNone(ctx.config, (line) => lines.push(line));
    const file = join(process.env.DATA_DIR!, 'bootstrap-admin.json');
    expect(ctx.config.bootstrap.credentialFile).toBe(file);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(file);
    expect(lines[0]).toContain('"Federation operator"');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const credential = readCredential(file);
    expect(Object.keys(credential).sort()).toEqual(['clientId', 'issuer', 'privateJwk']);
    expect(credential.issuer).toBe(ISSUER);
    expect(await whoAmI(credential)).toEqual({ clientId: credential.clientId, role: 'ADMIN', status: 'ACTIVE' });
    const entry = await ctx.prisma.auditEvent.findFirstOrThrow({ where: { action: 'member.bootstrap_admin' } });
    expect(entry).toMatchObject({ actorLabel: 'system', details: { clientId: credential.clientId, additional: false } });

    const before = readFileSync(file, 'utf8');
    await createFirstAdminIfNone(ctx.config, (line) => lines.push(line));
    expect(lines).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(await ctx.prisma.member.count({ where: { role: 'ADMIN' } })).toBe(1);
  });

  it('bootstrap-admin refuses a second admin unless told to add one', async () => {
    const refused = join(dir, 'second.json');
    const first = ctx.config.bootstrap.credentialFile;
    await expect(bootstrapAdmin(ctx.config, { name: 'Second', out: refused })).rejects.toThrow(
      `an admin member exists already; the first start wrote its credential to ${first} (use --credentials ${first}); pass --add`,
    );
    expect(existsSync(refused)).toBe(false);
    expect(await ctx.prisma.member.count({ where: { role: 'ADMIN' } })).toBe(1);

    const added = join(dir, 'added.json');
    const credential = await bootstrapAdmin(ctx.config, { name: 'Deputy operator', out: added, add: true });
    expect(statSync(added).mode & 0o777).toBe(0o600);
    expect(readCredential(added)).toEqual(credential);
    expect(credential.privateJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', d: expect.any(String) });
    expect(await whoAmI(credential)).toMatchObject({ role: 'ADMIN' });
    const entry = await ctx.prisma.auditEvent.findFirstOrThrow({ where: { action: 'member.bootstrap_admin', actorLabel: 'cli' } });
    expect(entry.details).toMatchObject({ name: 'Deputy operator', additional: true });
    // The server kept the public key only.
    const stored = await ctx.prisma.memberKey.findUniqueOrThrow({ where: { kid: credential.privateJwk.kid! } });
    expect(stored.publicJwk).not.toHaveProperty('d');
  });

  it('never overwrites an existing file, and creates no member then', async () => {
    const taken = join(dir, 'taken.json');
    writeFileSync(taken, 'precious');
    const members = await ctx.prisma.member.count();
    await expect(bootstrapAdmin(ctx.config, { name: 'Third', out: taken, add: true })).rejects.toThrow(
      /exists already; refusing to overwrite/,
    );
    expect(readFileSync(taken, 'utf8')).toBe('precious');
    expect(await ctx.prisma.member.count()).toBe(members);
  });

  it('keeps the signing key encrypted under <DATA_DIR>/master.key (mode 0600)', async () => {
    const path = masterKeyPath(process.env.DATA_DIR!);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url');
    const row = await ctx.prisma.signingKey.findFirstOrThrow({ where: { status: 'CURRENT' } });
    const sealed = Buffer.from(row.privateKeyEncrypted);
    const opened = JSON.parse(decrypt(key, sealed, `signing-key:${row.kid}`).toString('utf8')) as { d: string };
    expect(sealed.includes(Buffer.from(opened.d))).toBe(false);
    expect(sealed.toString('latin1')).not.toContain('"d"');
  });

  it('rotate-signing-key: tokens signed before stay valid, new ones use the new key, across API processes', async () => {
    const admin = await ctx.newAdmin();
    const before = await admin.token();
    const oldKid = decodeParts(before).header.kid as string;

    const result = await rotateSigningKey(ctx.config);
    expect(result.retired).toEqual([oldKid]);
    expect(result.kid).not.toBe(oldKid);

    // A second API process (fresh caches) on the same database and issuer.
    const second = await TestContext.start({ PUBLIC_BASE_URL: ISSUER });
    try {
      const fresh = await second.requestToken(await admin.assertion());
      const newToken = fresh.body.access_token!;
      expect(decodeParts(newToken).header.kid).toBe(result.kid);
      const { keys } = (await (await fetch(`${second.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
      expect(keys.map((k) => k.kid)).toEqual([result.kid, oldKid]);
      // Each process accepts the other's tokens, old and new.
      for (const api of [ctx, second]) {
        for (const token of [before, newToken]) {
          const res = await api.gql('{ me { id } }', {}, token);
          expect(res.errors, `${api.url} ${decodeParts(token).header.kid}`).toBeUndefined();
        }
      }
    } finally {
      await second.close();
    }
    const entry = await ctx.prisma.auditEvent.findFirstOrThrow({ where: { action: 'signing_key.rotated' } });
    expect(entry).toMatchObject({ actorLabel: 'cli', targetId: result.kid, details: { retired: [oldKid] } });
  });

  it('refuses to start or rotate with another data key, and rotates anyway when the key is declared lost', async () => {
    const otherKey = randomBytes(32).toString('base64url');
    await expect(TestContext.start({ PUBLIC_BASE_URL: ISSUER, SIGFED_MASTER_KEY: otherKey })).rejects.toThrow(
      /cannot decrypt the current signing key .* rotate-signing-key --data-key-lost/,
    );
    const otherConfig = loadConfig({ ...process.env, SIGFED_MASTER_KEY: otherKey });
    const current = await ctx.prisma.signingKey.findFirstOrThrow({ where: { status: 'CURRENT' } });
    await expect(rotateSigningKey(otherConfig)).rejects.toThrow(/data key cannot decrypt signing key/);
    expect((await ctx.prisma.signingKey.findFirstOrThrow({ where: { status: 'CURRENT' } })).kid).toBe(current.kid);

    const rotated = await rotateSigningKey(otherConfig, { dataKeyLost: true });
    const recovered = await TestContext.start({ PUBLIC_BASE_URL: ISSUER, SIGFED_MASTER_KEY: otherKey });
    try {
      const admin = await recovered.newAdmin();
      expect(decodeParts(await admin.token()).header.kid).toBe(rotated.kid);
    } finally {
      await recovered.close();
    }
  });
});

describe('`npm start` (serve) on an empty database', () => {
  const name = `${process.env.DATABASE_URL!.split('/').pop()}_first`;
  afterAll(async () => dropDatabase(name));

  it('creates the first admin once and prints where its credential file is', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sigfed-serve-'));
    const [port, workerPort] = [await freePort(), await freePort()];
    const env = childEnv({
      DATABASE_URL: databaseUrlFor(name),
      DATABASE_AUTO_CREATE: 'true',
      MIGRATE_ON_START: 'true',
      DATA_DIR: dataDir,
      PORT: String(port),
      WORKER_PORT: String(workerPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      BOOTSTRAP_ADMIN_NAME: 'Test federation operator',
    });
    const server = RunningProcess.start(distEntry('apps/cli/src/main.js'), ['serve'], env);
    const file = join(dataDir, 'bootstrap-admin.json');
    try {
      // The launcher creates the admin after migrating and before starting the roles.
      const deadline = Date.now() + 20_000;
      while (!server.stdout.includes('created the first admin member') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      server.kill('SIGTERM');
    }
    const finished = await server.exited;
    const line = finished.stdout.split('\n').find((l) => l.includes('created the first admin member'));
    expect(line, finished.stdout + finished.stderr).toBeDefined();
    const { msg } = JSON.parse(line!) as { msg: string };
    expect(msg).toContain('"Test federation operator"');
    expect(msg).toContain(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readCredential(file)).toMatchObject({ clientId: expect.stringMatching(/^sf_/), issuer: `http://localhost:${port}` });
  });
});
