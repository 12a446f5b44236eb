import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '@app/common';
import { TestContext } from '../support/context.js';
import { runNode } from '../support/processes.js';

const EXAMPLE = join(projectRoot(), 'examples', 'member-client.mjs');

describe('examples/member-client.mjs, the integration guide’s client', () => {
  let ctx: TestContext;
  let adminToken: string;
  const dir = mkdtempSync(join(tmpdir(), 'sigfed-example-'));
  // The example needs nothing of the server's environment: only its own arguments.
  const env = { PATH: process.env.PATH };

  beforeAll(async () => {
    ctx = await TestContext.start();
    adminToken = await (await ctx.newAdmin()).token();
  });
  afterAll(async () => ctx?.close());

  async function invitation(organizationName: string): Promise<string> {
    const res = await ctx.gql<{ createInvitation: { invitationToken: string } }>(
      'mutation($i: CreateInvitationInput!) { createInvitation(input: $i) { invitationToken } }',
      { i: { organizationName, contactEmail: 'ops@lab.example' } },
      adminToken,
    );
    return res.data!.createInvitation.invitationToken;
  }

  it.each(['EdDSA', 'ES256'])('onboards with an invitation (%s key) and runs `me` with the credential file it wrote', async (alg) => {
    const credentials = join(dir, `${alg}.json`);
    const accepted = await runNode(
      EXAMPLE,
      ['accept', '--issuer', `${ctx.url}/`, '--invitation', await invitation(`Example ${alg}`), '--out', credentials, '--alg', alg],
      env,
    );
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    const { accepted: member } = JSON.parse(accepted.stdout) as { accepted: { clientId: string; status: string } };
    expect(member.status).toBe('ACTIVE');

    const me = await runNode(EXAMPLE, ['me', '--credentials', credentials], env);
    expect(me.code, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({
      me: { clientId: member.clientId, name: `Example ${alg}`, status: 'ACTIVE', role: 'MEMBER', keys: [{ alg, status: 'ACTIVE' }] },
    });

    const query = await runNode(EXAMPLE, ['query', '{ serverInfo { issuer } me { clientId } }'], {
      ...env,
      SIGFED_CREDENTIALS: credentials,
    });
    expect(JSON.parse(query.stdout)).toEqual({ serverInfo: { issuer: ctx.issuer }, me: { clientId: member.clientId } });
  });

  it('reports a refused operation with its error code and exits 1', async () => {
    const credentials = join(dir, 'member.json');
    await runNode(EXAMPLE, ['accept', '--issuer', ctx.url, '--invitation', await invitation('Curious Lab'), '--out', credentials], env);
    const refused = await runNode(EXAMPLE, ['query', '{ members { edges { cursor } } }', '--credentials', credentials], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('FORBIDDEN/ROLE_REQUIRED');
    const reused = await runNode(
      EXAMPLE,
      ['accept', '--issuer', ctx.url, '--invitation', `sfinv_${'C'.repeat(43)}`, '--out', join(dir, 'x.json')],
      env,
    );
    expect(reused.code).toBe(1);
    expect(reused.stderr).toContain('BAD_USER_INPUT/INVITATION_INVALID');
  });
});
