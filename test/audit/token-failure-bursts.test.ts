import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestContext } from '../support/context.js';
import { compactJws } from '../support/oauth.js';

/** Issue 11 §5: junk client assertions (no credentials needed) must not write permanent audit rows. */
describe('token failure bursts in the audit log', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.start({ AUTH_FAILURE_BURST_THRESHOLD: '3' });
  });
  afterAll(async () => ctx?.close());

  const bursts = () => ctx.prisma.auditEvent.count({ where: { action: 'auth.token_failure_burst' } });

  it('writes no burst entries for made-up client ids', async () => {
    const before = await bursts();
    for (let c = 0; c < 5; c++) {
      const iss = `sf_${'junk'.padEnd(18, String(c))}${c}abc`;
      expect(iss).toMatch(/^sf_[A-Za-z0-9_-]{22}$/);
      for (let i = 0; i < 6; i++) {
        const now = Math.floor(Date.now() / 1000);
        const jws = compactJws(
          { alg: 'EdDSA', kid: `junk-kid-${c}` },
          { iss, sub: iss, aud: 'x', iat: now, exp: now + 60, jti: `j${c}-${i}` },
          'AAAA',
        );
        const answer = await ctx.requestToken(jws);
        expect([400, 401]).toContain(answer.status);
      }
    }
    expect(await bursts()).toBe(before);
  });

  it('still records a burst for a client id that exists', async () => {
    const member = await ctx.newMember();
    for (let i = 0; i < 4; i++) await ctx.requestToken(await member.assertion({ aud: 'https://wrong.example' }));
    expect(await ctx.prisma.auditEvent.count({ where: { action: 'auth.token_failure_burst', targetId: member.clientId } })).toBe(1);
  });
});
