import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { CanonicalizationError } from './errors.js';
import { TEST_FEDERATION_KEY_HEX, deriveToken } from './federation-key.js';
import { IPV4_BLOCK_PREFIX, IPV6_BLOCK_PREFIX, canonicalizeIpRange } from './ip-range.js';

const blocks = (text: string): string[] => canonicalizeIpRange(text).map((form) => form.canonical);

function refusedBy(text: string): string {
  try {
    canonicalizeIpRange(text);
  } catch (error) {
    expect(error).toBeInstanceOf(CanonicalizationError);
    expect((error as CanonicalizationError).type).toBe('IP_RANGE');
    expect((error as CanonicalizationError).message).toContain((error as CanonicalizationError).rule);
    return (error as CanonicalizationError).rule;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('canonicalizeIpRange: IPv4', () => {
  it('maps a single address to its /24 block', () => {
    expect(canonicalizeIpRange('203.0.113.7')).toEqual([{ kind: 'ip4-block', canonical: 'ip4:203.0.113.0/24' }]);
    expect(blocks(' 203.0.113.255 ')).toEqual(['ip4:203.0.113.0/24']);
    expect(blocks('203.0.113.7/32')).toEqual(['ip4:203.0.113.0/24']);
    expect(blocks('203.0.113.128/25')).toEqual(['ip4:203.0.113.0/24']);
  });

  it('cuts wider ranges into every /24 they contain, in order', () => {
    expect(blocks('198.51.100.0/23')).toEqual(['ip4:198.51.100.0/24', 'ip4:198.51.101.0/24']);
    const sixteen = blocks('10.20.0.0/16');
    expect(sixteen).toHaveLength(256);
    expect(sixteen[0]).toBe('ip4:10.20.0.0/24');
    expect(sixteen[255]).toBe('ip4:10.20.255.0/24');
  });

  it('masks host bits instead of refusing them', () => {
    expect(blocks('198.51.100.77/23')).toEqual(blocks('198.51.100.0/23'));
    expect(blocks('10.20.30.40/16')).toEqual(blocks('10.20.0.0/16'));
  });

  it('refuses ranges wider than 256 blocks', () => {
    expect(refusedBy('10.0.0.0/15')).toBe('ip.range-too-large');
    expect(refusedBy('0.0.0.0/0')).toBe('ip.range-too-large');
  });

  it.each([
    ['010.1.1.1', 'ip.ipv4-leading-zero'],
    ['1.2.3.04', 'ip.ipv4-leading-zero'],
    ['00.1.2.3', 'ip.ipv4-leading-zero'],
    ['127.1', 'ip.syntax'],
    ['0x7f.0.0.1', 'ip.syntax'],
    ['2130706433', 'ip.syntax'],
    ['256.1.1.1', 'ip.syntax'],
    ['1.2.3.4.5', 'ip.syntax'],
    ['1.2.3', 'ip.syntax'],
    ['１.２.３.４', 'ip.syntax'],
    ['', 'ip.syntax'],
    ['1.2.3.4/24/8', 'ip.syntax'],
    ['1.2.3.4/33', 'ip.prefix'],
    ['1.2.3.4/024', 'ip.prefix'],
    ['1.2.3.4/', 'ip.prefix'],
    ['1.2.3.4/-1', 'ip.prefix'],
    ['1.2.3.4 /24', 'ip.syntax'],
  ])('refuses %j by rule %s', (input, rule) => {
    expect(refusedBy(input)).toBe(rule);
  });
});

describe('canonicalizeIpRange: IPv6', () => {
  it('gives every textual form of an address the same block', () => {
    const expected = ['ip6:2001:db8:1234::/48'];
    for (const form of [
      '2001:db8:1234::1',
      '2001:DB8:1234::1',
      '2001:0db8:1234:0000:0000:0000:0000:0001',
      '2001:db8:1234:0:0:0:0:1',
      '2001:db8:1234::0:1',
      '2001:db8:1234:ffff:ffff:ffff:255.255.255.255',
    ]) {
      expect(blocks(form)).toEqual(expected);
    }
  });

  it('writes blocks in RFC 5952 form', () => {
    expect(blocks('2001:0:0:1::/64')).toEqual(['ip6:2001::/48']);
    expect(blocks('0:0:1::')).toEqual(['ip6:0:0:1::/48']);
    expect(blocks('::')).toEqual(['ip6:::/48']);
    expect(blocks('::1')).toEqual(['ip6:::/48']);
    expect(blocks('FFFF:FFFF:FFFF:FFFF::')).toEqual(['ip6:ffff:ffff:ffff::/48']);
  });

  it('cuts wider ranges into /48 blocks and masks host bits', () => {
    expect(blocks('2001:db8:1234::/47')).toEqual(['ip6:2001:db8:1234::/48', 'ip6:2001:db8:1235::/48']);
    expect(blocks('2001:db8:1235:7::/47')).toEqual(blocks('2001:db8:1234::/47'));
    const forty = blocks('2001:db8:ff00::/40');
    expect(forty).toHaveLength(256);
    expect(forty[0]).toBe('ip6:2001:db8:ff00::/48');
    expect(forty[255]).toBe('ip6:2001:db8:ffff::/48');
  });

  it('reads IPv4-mapped addresses as the IPv4 address, in any spelling', () => {
    for (const form of [
      '::ffff:1.2.3.4',
      '::FFFF:1.2.3.4',
      '::ffff:0102:0304',
      '0:0:0:0:0:ffff:1.2.3.4',
      '0000:0000:0000:0000:0000:FFFF:0102:0304',
    ]) {
      expect(blocks(form)).toEqual(['ip4:1.2.3.0/24']);
    }
    expect(blocks('::ffff:1.2.3.0/120')).toEqual(['ip4:1.2.3.0/24']);
    expect(blocks('::ffff:1.2.0.0/112')).toEqual(blocks('1.2.0.0/16'));
    expect(refusedBy('::ffff:0:0/96')).toBe('ip.range-too-large');
  });

  it('keeps deprecated IPv4-compatible addresses (::a.b.c.d) as plain IPv6, like their hex spelling', () => {
    expect(blocks('::1.2.3.4')).toEqual(['ip6:::/48']);
    expect(blocks('::1.2.3.4')).toEqual(blocks('::102:304'));
  });

  it('refuses ranges wider than 256 blocks', () => {
    expect(refusedBy('2001:db8::/39')).toBe('ip.range-too-large');
    expect(refusedBy('::/0')).toBe('ip.range-too-large');
  });

  it.each([
    ['fe80::1%eth0', 'ip.zone-id'],
    ['fe80::1%25eth0', 'ip.zone-id'],
    ['fe80::1%eth0/64', 'ip.zone-id'],
    ['::ffff:01.2.3.4', 'ip.ipv4-leading-zero'],
    ['1:2:3:4:5:6:7:8:9', 'ip.syntax'],
    ['1:2:3:4:5:6:7', 'ip.syntax'],
    ['1::2::3', 'ip.syntax'],
    ['12345::', 'ip.syntax'],
    [':1:2:3:4:5:6:7', 'ip.syntax'],
    ['1:2:3:4:5:6:7:', 'ip.syntax'],
    [':::', 'ip.syntax'],
    ['[2001:db8::1]', 'ip.syntax'],
    ['2001:db8::g', 'ip.syntax'],
    ['::1.2.3', 'ip.syntax'],
    ['1.2.3.4::', 'ip.syntax'],
    ['1:2:3:4:5:6:7:1.2.3.4', 'ip.syntax'],
    ['::/129', 'ip.prefix'],
  ])('refuses %j by rule %s', (input, rule) => {
    expect(refusedBy(input)).toBe(rule);
  });
});

// ipaddr.js's own matcher is the oracle: it never sees our parser or block arithmetic.
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((octets) => new ipaddr.IPv4(octets));
const ipv6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((parts) => new ipaddr.IPv6(parts));
type Address = ipaddr.IPv4 | ipaddr.IPv6;

// Addresses near a base address share a long prefix with it, so both "inside" and "outside"
// answers come up often.
function near(base: Address): fc.Arbitrary<Address> {
  const width = base.kind() === 'ipv4' ? 32 : 128;
  return fc.tuple(fc.integer({ min: 0, max: width }), fc.bigInt({ min: 0n, max: (1n << BigInt(width)) - 1n })).map(([keep, noise]) => {
    const bytes = base.toByteArray();
    const value = bytes.reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
    const hostMask = (1n << BigInt(width - keep)) - 1n;
    const mixed = (value & ~hostMask) | (noise & hostMask);
    const out = bytes.map((_, i) => Number((mixed >> BigInt(8 * (bytes.length - 1 - i))) & 0xffn));
    return ipaddr.fromByteArray(out);
  });
}

const ipv4Range = fc.tuple(ipv4, fc.integer({ min: 16, max: 32 }));
const ipv6Range = fc.tuple(ipv6, fc.integer({ min: 40, max: 128 }));
// Fully expanded, zero-padded form (ipaddr.js types do not expose toFixedLengthString).
const expanded = (address: ipaddr.IPv6): string => address.parts.map((part) => part.toString(16).padStart(4, '0')).join(':');
const show = (address: Address): string => (address.kind() === 'ipv6' ? (address as ipaddr.IPv6).toRFC5952String() : address.toString());
const blockPrefixOf = (address: Address): number => (address.kind() === 'ipv4' ? IPV4_BLOCK_PREFIX : IPV6_BLOCK_PREFIX);

describe('IP range properties', () => {
  for (const [family, range] of [
    ['IPv4', ipv4Range],
    ['IPv6', ipv6Range],
  ] as const) {
    it(`${family}: an address's block is among a range's blocks exactly when it lies in the range widened to whole blocks`, () => {
      fc.assert(
        fc.property(
          range.chain(([base, prefix]) =>
            fc.tuple(fc.constant(base), fc.constant(prefix), fc.oneof(near(base), family === 'IPv4' ? ipv4 : ipv6)),
          ),
          ([base, prefix, probe]) => {
            const rangeBlocks = new Set(blocks(`${show(base)}/${prefix}`));
            const [probeBlock] = blocks(show(probe));
            const widened = Math.min(prefix, blockPrefixOf(base));
            expect(rangeBlocks.has(probeBlock)).toBe(probe.match(base, widened));
            // Every address inside the range proper is always covered.
            if (probe.match(base, prefix)) expect(rangeBlocks.has(probeBlock)).toBe(true);
          },
        ),
        { numRuns: 300 },
      );
    });

    it(`${family}: two ranges share a block token exactly when their block-widened ranges overlap`, () => {
      const key = TEST_FEDERATION_KEY_HEX;
      fc.assert(
        fc.property(
          range.chain(([base, prefix]) =>
            fc.tuple(
              fc.constant(base),
              fc.constant(prefix),
              near(base),
              family === 'IPv4' ? fc.integer({ min: 16, max: 32 }) : fc.integer({ min: 40, max: 128 }),
            ),
          ),
          ([a, prefixA, b, prefixB]) => {
            const tokensA = new Set(blocks(`${show(a)}/${prefixA}`).map((canonical) => deriveToken(key, canonical)));
            const tokensB = blocks(`${show(b)}/${prefixB}`).map((canonical) => deriveToken(key, canonical));
            const shared = tokensB.some((token) => tokensA.has(token));
            const widest = Math.min(prefixA, prefixB, blockPrefixOf(a));
            // CIDR ranges either nest or are disjoint, so they overlap iff they agree on the
            // shorter prefix.
            expect(shared).toBe(a.match(b, widest));
          },
        ),
        { numRuns: 150 },
      );
    });

    it(`${family}: a range yields 2^(block - prefix) distinct ascending blocks, each canonical on its own`, () => {
      fc.assert(
        fc.property(range, ([base, prefix]) => {
          const out = blocks(`${show(base)}/${prefix}`);
          expect(out).toHaveLength(2 ** Math.max(0, blockPrefixOf(base) - prefix));
          expect(new Set(out).size).toBe(out.length);
          // Idempotency: a block's body canonicalizes to exactly that block.
          for (const block of out) expect(blocks(block.replace(/^ip[46]:/, ''))).toEqual([block]);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('IPv4 and its IPv4-mapped IPv6 spellings give the same blocks', () => {
    fc.assert(
      fc.property(ipv4Range, ([address, prefix]) => {
        const expected = blocks(`${address.toString()}/${prefix}`);
        const mapped = address.toIPv4MappedAddress();
        expect(blocks(`::ffff:${address.toString()}/${prefix + 96}`)).toEqual(expected);
        expect(blocks(`${mapped.toNormalizedString()}/${prefix + 96}`)).toEqual(expected);
        expect(blocks(`${expanded(mapped).toUpperCase()}/${prefix + 96}`)).toEqual(expected);
      }),
    );
  });

  it('every textual form of an IPv6 range gives the same blocks', () => {
    fc.assert(
      fc.property(ipv6Range, ([address, prefix]) => {
        const expected = blocks(`${address.toRFC5952String()}/${prefix}`);
        for (const form of [address.toNormalizedString(), expanded(address), expanded(address).toUpperCase()]) {
          expect(blocks(`${form}/${prefix}`)).toEqual(expected);
        }
      }),
    );
  });
});
