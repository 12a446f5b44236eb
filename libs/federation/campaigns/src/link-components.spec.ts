import { describe, expect, it } from 'vitest';
import { linkComponents, planIds, type KeyStanding, type LinkNode } from './link-components.js';

const day = new Date('2026-11-20T00:00:00Z');
const node = (id: string, memberId: string, keys: string[]): LinkNode => ({ id, memberId, observedAt: day, keys });
const LINKING: KeyStanding = { isMatch: true, usable: true, linking: true };
const OWN: KeyStanding = { isMatch: false, usable: true, linking: false };
const TOO_COMMON: KeyStanding = { isMatch: true, usable: false, linking: false };

describe('linkComponents', () => {
  const standing = new Map<string, KeyStanding>([
    ['A:e:link', LINKING],
    ['A:e:link2', LINKING],
    ['A:e:own', OWN],
    ['A:e:vpn', TOO_COMMON],
  ]);
  const rules = { minMembers: 2, minBridgeTokens: 1 };

  it("joins one member's bundles through any usable token, and members only through linking tokens", () => {
    const found = linkComponents(
      [node('a1', 'A', ['A:e:link']), node('a2', 'A', ['A:e:own']), node('a3', 'A', ['A:e:own']), node('b1', 'B', ['A:e:link'])],
      standing,
      rules,
    );
    expect(found.map((c) => c.bundleIds)).toEqual([['a1', 'b1']]);
    // a2 and a3 are one part of A's, but nothing ties it to B.
  });

  it('lets no unusable token (a VPN range in too many bundles) join anything, not even one member’s bundles', () => {
    const found = linkComponents(
      [node('a1', 'A', ['A:e:link', 'A:e:vpn']), node('a2', 'A', ['A:e:vpn']), node('b1', 'B', ['A:e:link']), node('b2', 'B', ['A:e:vpn'])],
      standing,
      rules,
    );
    expect(found.map((c) => c.bundleIds)).toEqual([['a1', 'b1']]);
  });

  it('needs CAMPAIGN_MIN_BRIDGE_TOKENS distinct linking tokens between two parts', () => {
    const nodes = [
      node('a1', 'A', ['A:e:link', 'A:e:own']),
      node('a2', 'A', ['A:e:own', 'A:e:link2']),
      node('b1', 'B', ['A:e:link', 'A:e:link2']),
    ];
    expect(linkComponents(nodes, standing, { minMembers: 2, minBridgeTokens: 2 })).toHaveLength(1);
    expect(linkComponents(nodes.slice(0, 1).concat(nodes[2]), standing, { minMembers: 2, minBridgeTokens: 2 })).toEqual([]);
  });

  it('shows each member only the bridging tokens it holds', () => {
    const [c] = linkComponents(
      [node('a1', 'A', ['A:e:link', 'A:e:own']), node('a2', 'A', ['A:e:own']), node('b1', 'B', ['A:e:link'])],
      standing,
      rules,
    );
    expect([...c.tokens.get('A')!]).toEqual([
      ['A:e:link', true],
      ['A:e:own', false],
    ]);
    expect([...c.tokens.get('B')!]).toEqual([['A:e:link', true]]);
  });
});

describe('planIds', () => {
  const old = [
    { id: 'old', createdAt: new Date('2026-01-01') },
    { id: 'new', createdAt: new Date('2026-02-01') },
  ];

  it('keeps the id on the largest part of a split; the other part is a new campaign', () => {
    const oldOf = new Map([
      ['x1', 'old'],
      ['x2', 'old'],
      ['x3', 'old'],
      ['y1', 'old'],
      ['y2', 'old'],
    ]);
    const plan = planIds([{ bundleIds: ['y1', 'y2'] }, { bundleIds: ['x1', 'x2', 'x3'] }], oldOf, [old[0]]);
    expect(plan).toEqual({ kept: [null, 'old'], closed: [] });
  });

  it('keeps the oldest id on a merge and closes the others', () => {
    const oldOf = new Map([
      ['x1', 'old'],
      ['y1', 'new'],
      ['y2', 'new'],
    ]);
    expect(planIds([{ bundleIds: ['x1', 'y1', 'y2'] }], oldOf, old)).toEqual({ kept: ['old'], closed: ['new'] });
  });

  it('closes a campaign none of whose bundles is in a campaign any more', () => {
    expect(planIds([], new Map([['x1', 'old']]), [old[0]])).toEqual({ kept: [], closed: ['old'] });
  });
});
