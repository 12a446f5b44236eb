import { describe, expect, it } from 'vitest';
import { AddressPolicy, DestinationRefused, type Resolver } from './address-policy.js';

const strict = new AddressPolicy({ allowHttp: false, allowedCidrs: [] });
const answers =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('AddressPolicy.checkAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['fd00::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['64:ff9b::7f00:1', 'loopback address (it carries IPv4 127.0.0.1)'],
    ['64:ff9b:1::a00:1', 'reserved'],
    ['2002:7f00:1::', 'loopback address (it carries IPv4 127.0.0.1)'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['::7f00:1', 'loopback address (it carries IPv4 127.0.0.1)'],
    ['::a00:1', 'private'],
    ['::ffff:0:a9fe:a9fe', 'link-local'],
    ['2001::1', 'reserved address (teredo)'],
  ])('refuses %s (%s)', (address, words) => {
    expect(strict.checkAddress(address)).toContain(words);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'])(
    'allows public %s',
    (address) => {
      expect(strict.checkAddress(address)).toBeUndefined();
    },
  );

  it('allows what the operator allowlisted, and only that', () => {
    const policy = new AddressPolicy({ allowHttp: false, allowedCidrs: ['10.1.0.0/16', '127.0.0.1/32', '::1/128'] });
    expect(policy.checkAddress('10.1.2.3')).toBeUndefined();
    expect(policy.checkAddress('10.2.0.1')).toContain('private');
    expect(policy.checkAddress('127.0.0.1')).toBeUndefined();
    expect(policy.checkAddress('::ffff:127.0.0.1')).toBeUndefined();
    expect(policy.checkAddress('127.0.0.2')).toContain('loopback');
    expect(policy.checkAddress('::1')).toBeUndefined();
  });
});

describe('AddressPolicy.checkUrl', () => {
  it('wants https (http only when allowed), no credentials, a host', () => {
    expect(strict.checkUrl('https://hooks.example.org/x')).toBeUndefined();
    expect(strict.checkUrl('http://hooks.example.org/x')).toBe('must use https (a test setup may allow http with WEBHOOK_ALLOW_HTTP=true)');
    expect(new AddressPolicy({ allowHttp: true, allowedCidrs: [] }).checkUrl('http://hooks.example.org/x')).toBeUndefined();
    expect(strict.checkUrl('https://u:p@hooks.example.org/')).toBe('must not contain credentials (user:password@)');
    expect(strict.checkUrl('https://:@hooks.example.org/')).toBe('must not contain credentials (user:password@)');
    expect(strict.checkUrl('https:\\\\@hooks.example.org/')).toBe('must not contain credentials (user:password@)');
    expect(strict.checkUrl('https://hooks.example.org/a@b?c=@')).toBeUndefined();
    expect(strict.checkUrl('file:///etc/passwd')).toBe('must use https (a test setup may allow http with WEBHOOK_ALLOW_HTTP=true)');
    expect(strict.checkUrl('/relative')).toBe('must be an absolute URL');
  });
});

describe('AddressPolicy.resolve', () => {
  it('normalizes numeric hosts the way URL does: 2130706433 and 0x7f.1 are 127.0.0.1', async () => {
    for (const url of ['https://2130706433/', 'https://0x7f.1/', 'https://[::ffff:127.0.0.1]/']) {
      await expect(strict.resolve(new URL(url), answers())).rejects.toThrow(/loopback/);
    }
  });

  it('refuses a name when any of its addresses is refused', async () => {
    await expect(strict.resolve(new URL('https://mixed.example/'), answers('8.8.8.8', '10.0.0.7'))).rejects.toBeInstanceOf(
      DestinationRefused,
    );
  });

  it('judges each resolution on its own, so a name that rebinds to an internal address is refused the next time', async () => {
    let calls = 0;
    const rebinding: Resolver = async () => [{ address: calls++ === 0 ? '8.8.8.8' : '127.0.0.1', family: 4 }];
    expect(await strict.resolve(new URL('https://rebind.example/'), rebinding)).toEqual({ address: '8.8.8.8', family: 4 });
    await expect(strict.resolve(new URL('https://rebind.example/'), rebinding)).rejects.toThrow(
      /resolves to 127\.0\.0\.1 is a loopback address/,
    );
  });

  it('accepts at save time a name that does not resolve yet, but not one that resolves inward', async () => {
    const nxdomain: Resolver = async () => {
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    };
    expect(await strict.inspect('https://not-yet.example/', nxdomain)).toBeUndefined();
    expect(await strict.inspect('https://inward.example/', answers('192.168.0.10'))).toMatch(/^is refused: inward\.example resolves to/);
  });
});
