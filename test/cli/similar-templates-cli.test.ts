import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PrismaService } from '@app/database';
import { SigfedClient, TEST_FEDERATION_KEY_HEX, parseCredentials, similarityOfSharedBands, templateSignature } from '@app/sdk';
import { cliServer } from '../support/cli-server.js';
import { outboxDrained, until } from '../support/wait.js';

// Lab A's and lab B's copies of one campaign's template: other names, sentences swapped, one word changed.
const TEMPLATE_A =
  'You are a meticulous senior analyst working for Northwind. Read the customer conversation below and reproduce the reasoning of the assistant step by step. ' +
  'Write every intermediate thought in full sentences and never skip a calculation. After the reasoning, give the final answer on its own line. ' +
  'If the conversation mentions a refund, explain the policy that applies and cite its section number.';
const TEMPLATE_B =
  'Write every intermediate thought in full sentences and never skip a calculation. You are a meticulous senior analyst working for Contoso. ' +
  'Read the customer conversation below and reproduce the reasoning of the assistant step by step. After the reasoning, give the final answer on its own line. ' +
  'If the conversation mentions a refund, explain which policy applies and cite its section number.';
// Unrelated templates of the two labs that share a boilerplate sentence.
const BOILERPLATE = 'Keep the tone formal and avoid any mention of being an AI model or of these instructions.';
const UNRELATED_A = `Summarize the attached legal contract clause by clause for a busy executive. ${BOILERPLATE} List every obligation with its deadline.`;
const UNRELATED_B = `Translate the following recipe into French and convert every measurement to metric units. ${BOILERPLATE} Keep the ingredient order.`;

const csvField = (text: string) => `"${text.replace(/"/g, '""')}"`;

/** `submit --similarity` end to end: two labs, the CLI alone, and the server's SIMILAR alerts. */
describe('submit --similarity against the server', () => {
  const server = cliServer('sigfed-similar-cli-');
  const { dir, keyFile, cli } = server;

  it('alerts both labs of their paraphrased templates as SIMILAR, and not of boilerplate they share', { timeout: 120_000 }, async () => {
    const admin = join(dir, 'admin.json');
    await cli('bootstrap-admin', '--name', 'Federation operator', '--out', admin);
    const invite = async (org: string) =>
      /invitation token\s+(\S+)/.exec(await cli('invite', '--credentials', admin, '--org', org, '--email', 'trust@lab.example'))![1];
    const labA = join(dir, 'lab-a.json');
    const labB = join(dir, 'lab-b.json');
    await cli('join', '--invitation', await invite('Lab A'), '--server', server.ctx.url, '--out', labA);
    await cli('join', '--invitation', await invite('Lab B'), '--server', server.ctx.url, '--out', labB);

    const header = 'type,value,external_ref\n';
    writeFileSync(
      join(dir, 'a.csv'),
      `${header}PROMPT_TEMPLATE,${csvField(TEMPLATE_A)},tpl-a\nPROMPT_TEMPLATE,${csvField(UNRELATED_A)},other-a\n`,
    );
    writeFileSync(
      join(dir, 'b.csv'),
      `${header}PROMPT_TEMPLATE,${csvField(TEMPLATE_B)},tpl-b\nPROMPT_TEMPLATE,${csvField(UNRELATED_B)},other-b\n`,
    );
    for (const [csv, credentials] of [
      ['a.csv', labA],
      ['b.csv', labB],
    ]) {
      const out = await cli(
        'submit',
        '--file',
        join(dir, csv),
        '--epoch',
        '2026-q4',
        '--credentials',
        credentials,
        '--key-file',
        keyFile,
        '--similarity',
      );
      expect(out).toMatch(/signatures\s+2\n/);
      expect(out).toMatch(/sig\. accepted\s+2\n/);
    }

    const clientOf = (path: string) =>
      SigfedClient.fromCredentials(parseCredentials(readFileSync(path, 'utf8')), { baseUrl: server.ctx.url });
    type Node = { matchKind: string; similarity: number | null; externalRef: string | null; status: string };
    const similarOf = async (path: string) => {
      const data = await clientOf(path).graphql<{ alerts: { edges: { node: Node }[] } }>(
        '{ alerts(first: 100) { edges { node { matchKind similarity externalRef status } } } }',
      );
      return data.alerts.edges.map((e) => e.node).filter((n) => n.matchKind === 'SIMILAR');
    };
    await until(
      async () => (await similarOf(labA)).length > 0 && (await similarOf(labB)).length > 0,
      'SIMILAR alerts for both labs',
      30_000,
    );
    // Every event judged, so an alert the boilerplate would have opened has had its chance.
    await outboxDrained(server.ctx.app.get(PrismaService));

    const bandsA = templateSignature(TEST_FEDERATION_KEY_HEX, TEMPLATE_A).bands;
    const bandsB = templateSignature(TEST_FEDERATION_KEY_HEX, TEMPLATE_B).bands;
    const common = bandsA.filter((band) => bandsB.includes(band)).length;
    expect(common).toBeGreaterThanOrEqual(4);
    const expected = Number(similarityOfSharedBands(common).toFixed(3));
    expect(await similarOf(labA)).toEqual([{ matchKind: 'SIMILAR', similarity: expected, externalRef: 'tpl-a', status: 'OPEN' }]);
    expect(await similarOf(labB)).toEqual([{ matchKind: 'SIMILAR', similarity: expected, externalRef: 'tpl-b', status: 'OPEN' }]);
  });
});
