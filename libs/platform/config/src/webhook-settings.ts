import ipaddr from 'ipaddr.js';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;

/** `0,5s,5m,2h` -> milliseconds; bare numbers are seconds. Undefined when any entry is malformed. */
export function parseDurationList(text: string): number[] | undefined {
  const parts = text.split(',').map((p) => p.trim().toLowerCase());
  const out: number[] = [];
  for (const part of parts) {
    const m = DURATION.exec(part);
    if (!m) return undefined;
    out.push(Math.round(Number(m[1]) * UNITS[m[2] ?? 's']));
  }
  return out;
}

/** Comma-separated CIDRs (a bare address means a single host), normalized; or the first bad entry. */
export function parseCidrList(text: string): { cidrs: string[] } | { bad: string } {
  const cidrs: string[] = [];
  for (const raw of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    try {
      const [address, bits] = raw.includes('/') ? ipaddr.parseCIDR(raw) : [ipaddr.parse(raw), undefined];
      cidrs.push(`${address.toString()}/${bits ?? (address.kind() === 'ipv4' ? 32 : 128)}`);
    } catch {
      return { bad: raw };
    }
  }
  return { cidrs };
}
