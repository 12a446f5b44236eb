import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestContext, type TestMember } from '../support/context.js';
import { childEnv, distEntry, runNode } from '../support/processes.js';

const CLI = distEntry('apps/cli/src/main.js');

/**
 * `sigfed report`: federationReport through the API, as Markdown or JSON,
 * k-anonymous (MATCH_MIN_MEMBERS = 2 here): a figure one member alone stands
 * behind is withheld, and per-member lines exist only for members that
 * disclosed their identity.
 */
describe('sigfed report', () => {
  let ctx: TestContext;
  const dir = mkdtempSync(join(tmpdir(), 'sigfed-report-'));
  let adminFile: string;
  let memberFile: string;

  const credentialFile = (name: string, member: TestMember) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify({ clientId: member.clientId, privateJwk: member.privateJwk, issuer: ctx.issuer }), { mode: 0o600 });
    return path;
  };
  const cli = (...args: string[]) => runNode(CLI, args, childEnv({ PUBLIC_BASE_URL: ctx.url }), 30_000);

  beforeAll(async () => {
    ctx = await TestContext.start();
    const admin = await ctx.newAdmin({ name: 'Operator' });
    const a = await ctx.newMember({ name: 'Lab A' });
    const b = await ctx.newMember({ name: 'Lab B (discloses)' });
    adminFile = credentialFile('admin', admin);
    memberFile = credentialFile('lab-a', a);
    // Both labs hold IP ranges; only A holds a prompt template. B disclosed its identity on one range.
    const now = new Date();
    const hold = async (member: TestMember, type: 'IP_RANGE' | 'PROMPT_TEMPLATE', count: number, discloseIdentity = false) => {
      const submission = await ctx.db.submission.create({
        data: {
          memberId: member.id,
          idempotencyKey: `k-${randomBytes(6).toString('hex')}`,
          requestHash: randomBytes(32),
          accepted: count,
          duplicates: 0,
        },
      });
      const { memberNo } = await ctx.db.member.findUniqueOrThrow({ where: { id: member.id } });
      const { id: keySpace } = await ctx.db.keySpace.upsert({
        where: { type_keyEpoch: { type, keyEpoch: '2026-q4' } },
        create: { type, keyEpoch: '2026-q4' },
        update: {},
      });
      await ctx.db.indicator.createMany({
        data: Array.from({ length: count }, () => ({
          memberNo,
          submissionId: submission.id,
          keySpace,
          token: randomBytes(32),
          confidence: 80,
          discloseIdentity,
          observedAt: now,
          expiresAt: new Date(now.getTime() + 86_400_000),
        })),
      });
    };
    await hold(a, 'IP_RANGE', 3);
    await hold(a, 'PROMPT_TEMPLATE', 2);
    await hold(b, 'IP_RANGE', 1, true);
  });
  afterAll(async () => ctx?.close());

  const period = () => ['--from', new Date(Date.now() - 86_400_000).toISOString(), '--to', new Date(Date.now() + 60_000).toISOString()];

  it('prints the report as JSON, withholding figures fewer than MATCH_MIN_MEMBERS members stand behind', async () => {
    const result = await cli('report', '--credentials', adminFile, ...period(), '--format', 'json');
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      minMembers: number;
      byType: { type: string; indicators: { value: number | null; withheldReason: string | null } }[];
      activeMembers: { value: number | null };
      disclosedMembers: { name: string; indicators: number }[];
    };
    expect(report.minMembers).toBe(2);
    const byType = Object.fromEntries(report.byType.map((t) => [t.type, t.indicators]));
    expect(byType.IP_RANGE).toEqual({ value: 4, withheldReason: null });
    expect(byType.PROMPT_TEMPLATE).toEqual({ value: null, withheldReason: 'fewer_than_min_members' });
    expect(byType.ACCOUNT_SIGNAL).toEqual({ value: 0, withheldReason: null });
    expect(report.activeMembers.value).toBe(2);
    // Only the member that disclosed its identity has a line, with its disclosed indicators only.
    expect(report.disclosedMembers.map((m) => [m.name, m.indicators])).toEqual([['Lab B (discloses)', 1]]);
  });

  it('prints Markdown by default, saying which figures are withheld and why', async () => {
    const result = await cli('report', '--credentials', adminFile, ...period());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^# Federation report, /);
    expect(result.stdout).toContain('| IP_RANGE | 4 | 0 |');
    expect(result.stdout).toContain('| PROMPT_TEMPLATE | withheld (fewer than the minimum members) | 0 |');
    expect(result.stdout).toContain('| active members | 2 |');
    expect(result.stdout).toContain('| Lab B (discloses) | 1 | 0 |');
    expect(result.stdout).not.toContain('Lab A');
  });

  it('refuses a member that is not an admin, and a period that ends before it starts', async () => {
    const member = await cli('report', '--credentials', memberFile, ...period());
    expect(member.code).toBe(2);
    expect(member.stderr).toMatch(/FORBIDDEN/);
    const backwards = await cli('report', '--credentials', adminFile, '--from', '2026-12-01', '--to', '2026-11-01');
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toMatch(/to must be after from/);
  });
});
