import ipaddr from 'ipaddr.js';
import { CanonicalizationError, type CanonicalizationRule } from './errors.js';
import { CANONICAL_PREFIXES, type CanonicalForm } from './types.js';

/** Prefix length of the fixed IPv4 blocks ranges are cut into. */
export const IPV4_BLOCK_PREFIX = 24;
/** Prefix length of the fixed IPv6 blocks ranges are cut into. */
export const IPV6_BLOCK_PREFIX = 48;
/** Most blocks one range may expand to; larger ranges are refused, not truncated. */
export const MAX_BLOCKS_PER_RANGE = 256;
/** Shortest IPv4 prefix accepted (256 blocks of /24). */
export const IPV4_MIN_PREFIX = IPV4_BLOCK_PREFIX - Math.log2(MAX_BLOCKS_PER_RANGE);
/** Shortest IPv6 prefix accepted (256 blocks of /48). */
export const IPV6_MIN_PREFIX = IPV6_BLOCK_PREFIX - Math.log2(MAX_BLOCKS_PER_RANGE);

const DOTTED_QUAD = /^\d+\.\d+\.\d+\.\d+$/;
const PREFIX_LENGTH = /^(?:0|[1-9]\d{0,2})$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/;

/**
 * Canonicalizes an IPv4/IPv6 address or CIDR range into the fixed-size blocks it touches:
 * one `ip4:a.b.c.0/24` or `ip6:x:y:z::/48` string per block, in ascending order.
 */
export function canonicalizeIpRange(value: string): CanonicalForm[] {
  const text = value.trim();
  if (text.includes('%')) {
    throw refuse('ip.zone-id', 'zone ids (such as %eth0) only mean something on one host; remove them');
  }
  const [addressText, prefixText, ...rest] = text.split('/');
  if (rest.length > 0) throw refuse('ip.syntax', `${JSON.stringify(value)} has more than one "/"`);
  if (prefixText !== undefined && !PREFIX_LENGTH.test(prefixText)) {
    throw refuse('ip.prefix', `the prefix length must be a decimal number without leading zeros, got ${JSON.stringify(prefixText)}`);
  }
  const address = addressText.includes(':') ? parseIPv6(addressText) : parseIPv4(addressText);
  const bits = address.kind() === 'ipv4' ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) throw refuse('ip.prefix', `an ${address.kind()} prefix length is at most ${bits}, got ${prefix}`);

  // An IPv4-mapped IPv6 address is the IPv4 address as seen by a dual-stack socket; treating
  // it as IPv4 lets a member logging "::ffff:1.2.3.4" match one logging "1.2.3.4".
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && prefix >= 96) {
    return ipv4Blocks(address.toIPv4Address().octets, prefix - 96);
  }
  return address instanceof ipaddr.IPv4 ? ipv4Blocks(address.octets, prefix) : ipv6Blocks(address.parts, prefix);
}

function ipv4Blocks(octets: readonly number[], prefix: number): CanonicalForm[] {
  if (prefix < IPV4_MIN_PREFIX) {
    throw refuse(
      'ip.range-too-large',
      `an IPv4 range may span at most ${MAX_BLOCKS_PER_RANGE} /${IPV4_BLOCK_PREFIX} blocks (a /${IPV4_MIN_PREFIX}); got a /${prefix}`,
    );
  }
  // Host bits are masked rather than refused: "203.0.113.7/24" plainly means 203.0.113.0/24.
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = ((((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0) & mask) >>> 0;
  const count = 2 ** Math.max(0, IPV4_BLOCK_PREFIX - prefix);
  const first = Math.floor(network / 256) * 256;
  const blocks: CanonicalForm[] = [];
  for (let i = 0; i < count; i++) {
    const base = first + i * 256;
    const block = new ipaddr.IPv4([base >>> 24, (base >>> 16) & 0xff, (base >>> 8) & 0xff, 0]);
    blocks.push({ kind: 'ip4-block', canonical: `${CANONICAL_PREFIXES['ip4-block']}${block.toString()}/${IPV4_BLOCK_PREFIX}` });
  }
  return blocks;
}

function ipv6Blocks(parts: readonly number[], prefix: number): CanonicalForm[] {
  if (prefix < IPV6_MIN_PREFIX) {
    throw refuse(
      'ip.range-too-large',
      `an IPv6 range may span at most ${MAX_BLOCKS_PER_RANGE} /${IPV6_BLOCK_PREFIX} blocks (a /${IPV6_MIN_PREFIX}); got a /${prefix}`,
    );
  }
  // With prefix >= 40 only the low 8 bits of the third group can vary between blocks.
  const thirdGroupMask = prefix >= IPV6_BLOCK_PREFIX ? 0xffff : (0xffff << (IPV6_BLOCK_PREFIX - prefix)) & 0xffff;
  const count = 2 ** Math.max(0, IPV6_BLOCK_PREFIX - prefix);
  const third = parts[2] & thirdGroupMask;
  const blocks: CanonicalForm[] = [];
  for (let i = 0; i < count; i++) {
    const block = new ipaddr.IPv6([parts[0], parts[1], third + i, 0, 0, 0, 0, 0]);
    blocks.push({ kind: 'ip6-block', canonical: `${CANONICAL_PREFIXES['ip6-block']}${block.toRFC5952String()}/${IPV6_BLOCK_PREFIX}` });
  }
  return blocks;
}

// ipaddr.js on its own also accepts inet_aton forms ("127.1", "0x7f.0.0.1", octal "010.0.0.1")
// that different tools read differently, so only plain dotted-quad decimal gets through.
function parseIPv4(text: string): ipaddr.IPv4 {
  if (!DOTTED_QUAD.test(text)) {
    throw refuse('ip.syntax', `${JSON.stringify(text)} is neither a dotted-quad IPv4 address nor an IPv6 address`);
  }
  const octets = text.split('.');
  if (octets.some((octet) => octet.length > 1 && octet.startsWith('0'))) {
    // "010" is 8 to inet_aton but 10 to most parsers; guessing would split members in two.
    throw refuse(
      'ip.ipv4-leading-zero',
      `${JSON.stringify(text)} has an octet with a leading zero, which tools read as octal or decimal inconsistently`,
    );
  }
  const values = octets.map(Number);
  if (values.some((octet) => octet > 255)) throw refuse('ip.syntax', `${JSON.stringify(text)} has an octet above 255`);
  return new ipaddr.IPv4(values);
}

// Parsed by hand because ipaddr.js reads "::1.2.3.4" (IPv4-compatible) as "::ffff:1.2.3.4"
// (IPv4-mapped), which would give two spellings of ::102:304 different blocks.
function parseIPv6(text: string): ipaddr.IPv6 {
  let hex = text.toLowerCase();
  const lastColon = hex.lastIndexOf(':');
  const tail = hex.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a, b, c, d] = parseIPv4(tail).octets;
    hex = `${hex.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = hex.split('::');
  if (halves.length > 2) throw refuse('ip.syntax', `${JSON.stringify(text)} has more than one "::"`);
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const tailGroups = halves.length === 1 || halves[1] === '' ? [] : halves[1].split(':');
  const groups = [...head, ...tailGroups];
  if (!groups.every((group) => HEX_GROUP.test(group))) {
    throw refuse('ip.syntax', `${JSON.stringify(text)} is not an IPv6 address`);
  }
  const compressed = halves.length === 2;
  if (compressed ? groups.length > 7 : groups.length !== 8) {
    throw refuse('ip.syntax', `${JSON.stringify(text)} does not have 8 groups`);
  }
  const zeros = new Array<number>(8 - groups.length).fill(0);
  const parse = (group: string): number => parseInt(group, 16);
  return new ipaddr.IPv6([...head.map(parse), ...zeros, ...tailGroups.map(parse)]);
}

function refuse(rule: CanonicalizationRule, detail: string): CanonicalizationError {
  return new CanonicalizationError('IP_RANGE', rule, detail);
}
