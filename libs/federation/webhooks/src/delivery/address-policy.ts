import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Resolves a host name to every address it has (the system resolver by default; tests substitute one). */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

/** The operating system's resolver, every address, in the order it returns them. */
export const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** A destination the policy refuses; the message says why, for the attempt log and the member. */
export class DestinationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DestinationRefused';
  }
}

/** The address a request is pinned to after the policy approved it. */
export interface PinnedAddress {
  address: string;
  family: 4 | 6;
}

const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  uniqueLocal: 'a private (unique local) address',
  linkLocal: 'a link-local address',
  carrierGradeNat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  unspecified: 'an unspecified address',
};

/**
 * Whether the URL text has a userinfo part (`user:pass@`, or a bare `@`),
 * read as the URL parser reads it: tabs and newlines dropped, `\\` as `/`.
 * `new URL` drops an empty userinfo, but other parsers may not.
 */
export function hasUserinfo(text: string): boolean {
  return /^[^:/\\?#]*:[/\\]*[^/\\?#]*@/.test(text.trim().replace(/[\t\n\r]/g, ''));
}

/**
 * The IPv4 address an IPv6 address carries, for the forms that reach it:
 * IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96, deprecated), IPv4-translated
 * (::ffff:0:0:0/96), NAT64 (64:ff9b::/96) and 6to4 (2002::/16, the address in bits 16-47).
 */
export function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = address.parts;
  const v4 = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  const zeros = (from: number, to: number) => p.slice(from, to).every((part) => part === 0);
  if (zeros(0, 5) && p[5] === 0xffff) return v4(p[6], p[7]);
  // :: and ::1 are IPv6's own unspecified and loopback addresses, judged as such.
  if (zeros(0, 6) && (p[6] !== 0 || p[7] > 1)) return v4(p[6], p[7]);
  if (zeros(0, 4) && p[4] === 0xffff && p[5] === 0) return v4(p[6], p[7]);
  if (p[0] === 0x64 && p[1] === 0xff9b && zeros(2, 6)) return v4(p[6], p[7]);
  if (p[0] === 0x2002) return v4(p[1], p[2]);
  return undefined;
}

/** `[::1]` -> `::1`: URL keeps the brackets of IPv6 literals in `hostname`. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * Where webhooks may go. Only public unicast addresses, unless the operator
 * allowlisted a CIDR (test setups, private deployments); `https` only unless
 * plain `http` is allowed. The address check runs on every address a host
 * resolves to, at connection time, and the connection is then pinned to the
 * approved address, so a DNS answer that changes between the check and the
 * connection (rebinding) cannot redirect it.
 */
export class AddressPolicy {
  private readonly allowed: [Address, number][];

  constructor(private readonly options: { allowHttp: boolean; allowedCidrs: readonly string[] }) {
    this.allowed = options.allowedCidrs.map((cidr) => ipaddr.parseCIDR(cidr));
  }

  /** Why this URL may never be used (form, scheme, credentials), or undefined. */
  checkUrl(text: string): string | undefined {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return 'must be an absolute URL';
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.options.allowHttp)) {
      return this.options.allowHttp
        ? 'must use https or http'
        : 'must use https (a test setup may allow http with WEBHOOK_ALLOW_HTTP=true)';
    }
    if (hasUserinfo(text) || url.username || url.password) return 'must not contain credentials (user:password@)';
    if (!url.hostname) return 'must name a host';
    return undefined;
  }

  /** Why connecting to `address` is refused, or undefined when it is allowed. */
  checkAddress(text: string): string | undefined {
    let address: Address;
    try {
      address = ipaddr.parse(text);
    } catch {
      return `${text} is not an IP address`;
    }
    // ::ffff:127.0.0.1, [::127.0.0.1] and 64:ff9b::7f00:1 reach 127.0.0.1: judge them as the IPv4 address they carry.
    const carried = address.kind() === 'ipv6' ? embeddedIPv4(address as ipaddr.IPv6) : undefined;
    const effective = carried ?? address;
    if (this.isAllowlisted(address) || this.isAllowlisted(effective)) return undefined;
    const range = effective.range();
    if (range === 'unicast') return undefined;
    const carries = carried ? ` (it carries IPv4 ${carried.toString()})` : '';
    return `${text} is ${RANGE_WORDS[range] ?? `a reserved address (${range})`}${carries}`;
  }

  /**
   * Resolves the URL's host and checks every address (a host with one bad
   * address is refused as a whole); returns the one to connect to.
   */
  async resolve(url: URL, resolver: Resolver = systemResolver): Promise<PinnedAddress> {
    const host = bareHost(url.hostname);
    if (ipaddr.isValid(host)) {
      const refused = this.checkAddress(host);
      if (refused) throw new DestinationRefused(`refused: ${refused}`);
      return { address: host, family: host.includes(':') ? 6 : 4 };
    }
    let answers: { address: string; family: number }[];
    try {
      answers = await resolver(host);
    } catch (error) {
      throw new DestinationRefused(`cannot resolve ${host}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (answers.length === 0) throw new DestinationRefused(`cannot resolve ${host}: no addresses`);
    for (const answer of answers) {
      const refused = this.checkAddress(answer.address);
      if (refused) throw new DestinationRefused(`refused: ${host} resolves to ${refused}`);
    }
    return { address: answers[0].address, family: answers[0].family === 6 ? 6 : 4 };
  }

  /**
   * What saving this URL would run into, or undefined: its form, and, when
   * its host resolves now, the addresses. A host that does not resolve yet is
   * accepted; deliveries check again at every connection anyway.
   */
  async inspect(text: string, resolver: Resolver = systemResolver): Promise<string | undefined> {
    const form = this.checkUrl(text);
    if (form) return form;
    try {
      await this.resolve(new URL(text), resolver);
      return undefined;
    } catch (error) {
      const message = (error as Error).message;
      if (message.startsWith('cannot resolve')) return undefined;
      return `${message.replace(/^refused: /, 'is refused: ')} (a test setup may allow a range with WEBHOOK_ALLOWED_CIDRS)`;
    }
  }

  private isAllowlisted(address: Address): boolean {
    return this.allowed.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
  }
}
