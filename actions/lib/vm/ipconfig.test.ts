import { describe, expect, it } from 'vitest';
import { ipv4ToInt, parseIpConfig, sameSubnet } from './ipconfig.js';

function error(text: string): string {
  const r = parseIpConfig(text);
  if (r.ok) throw new Error(`${text} parsed`);
  return r.error;
}

describe('parseIpConfig', () => {
  it('parses static, dhcp and IPv6 forms', () => {
    expect(parseIpConfig('ip=192.168.1.50/24,gw=192.168.1.1,ip6=dhcp')).toEqual({
      ok: true,
      value: { ip: { address: '192.168.1.50', prefix: 24 }, gw: '192.168.1.1', ip6: 'dhcp' },
    });
    expect(parseIpConfig('ip=dhcp')).toEqual({ ok: true, value: { ip: 'dhcp' } });
    expect(parseIpConfig('ip6=2001:db8::5/64,gw6=2001:db8::1')).toEqual({
      ok: true,
      value: { ip6: { address: '2001:db8::5', prefix: 64 }, gw6: '2001:db8::1' },
    });
    expect(parseIpConfig('ip=10.0.0.9/8,ip6=auto').ok).toBe(true);
  });

  it('explains garbage, bad addresses and repeated parts', () => {
    expect(error('garbage')).toMatch(/unknown part `garbage`/);
    expect(error('ip=192.168.1.300/24')).toMatch(
      /ip=192.168.1.300\/24, which is neither dhcp nor an IPv4 address/,
    );
    expect(error('ip=192.168.1.5')).toMatch(/neither dhcp nor an IPv4 address with prefix/);
    expect(error('ip=192.168.01.5/24')).toMatch(/neither dhcp/);
    expect(error('ip=dhcp,ip=dhcp')).toBe('sets `ip` twice');
    expect(error('ip=')).toMatch(/no value after `ip=`/);
    expect(error('ip6=fe80::zz/64')).toMatch(/ip6=fe80::zz\/64/);
    expect(error('ip=10.0.0.5/24,gw=10.0.0')).toMatch(/gw=10.0.0, which is not an IPv4 address/);
  });

  it('requires the gateway inside the subnet and a static address with it', () => {
    expect(error('ip=192.168.1.50/24,gw=192.168.2.1')).toBe(
      'has gateway 192.168.2.1 outside the subnet of 192.168.1.50/24',
    );
    expect(parseIpConfig('ip=192.168.1.50/23,gw=192.168.0.1').ok).toBe(true);
    expect(error('ip=dhcp,gw=192.168.1.1')).toMatch(/without a static ip=/);
    expect(error('ip6=auto,gw6=2001:db8::1')).toMatch(/without a static ip6=/);
    expect(error('ip=192.168.1.1/24,gw=192.168.1.1')).toMatch(/equal to the VM's own address/);
  });

  it('refuses network and broadcast addresses as a host address', () => {
    expect(error('ip=192.168.1.0/24')).toMatch(/network address/);
    expect(error('ip=192.168.1.255/24')).toMatch(/broadcast address/);
    expect(parseIpConfig('ip=192.168.1.255/31').ok).toBe(true);
  });
});

describe('parseIpConfig: only what PVE and a guest accept', () => {
  // PVE parses ipconfig0 with pve-common's parse_property_string: ` gw` (after ", ") is an
  // unknown key there, so apply failed after plan had passed.
  it('refuses a space anywhere, such as after a comma', () => {
    expect(error('ip=10.0.0.5/24, gw=10.0.0.1')).toMatch(/^has a space in it; /);
    expect(error('ip=10.0.0.5/24 ')).toMatch(/^has a space in it; /);
  });

  it('refuses multicast, broadcast, reserved and all-zero addresses and gateways', () => {
    expect(error('ip=224.0.0.5/24')).toBe('has ip=224.0.0.5/24, which is a multicast address');
    expect(error('ip=239.1.1.1/32')).toMatch(/multicast/);
    expect(error('ip=255.255.255.255/32')).toMatch(/which is the broadcast address$/);
    expect(error('ip=0.0.0.0/32')).toMatch(/the all-zero address/);
    expect(error('ip=0.1.2.3/24')).toMatch(/0\.0\.0\.0\/8/);
    expect(error('ip=250.1.1.1/24')).toMatch(/reserved range/);
    expect(error('ip=10.0.0.5/24,gw=10.0.0.0')).toBe(
      'has gateway 10.0.0.0, which is the network address of its subnet',
    );
    expect(error('ip=10.0.0.5/24,gw=10.0.0.255')).toMatch(/broadcast address of its subnet/);
    expect(parseIpConfig('ip=127.0.0.5/8,gw=127.0.0.1').ok).toBe(true);
  });
});

describe('IPv4 helpers', () => {
  it('computes addresses and subnets', () => {
    expect(ipv4ToInt('10.0.0.1')).toBe(167772161);
    expect(ipv4ToInt('255.255.255.255')).toBe(2 ** 32 - 1);
    expect(ipv4ToInt('1.2.3')).toBeUndefined();
    expect(sameSubnet('10.1.2.3', '10.200.0.1', 8)).toBe(true);
    expect(sameSubnet('10.1.2.3', '11.0.0.1', 8)).toBe(false);
    expect(sameSubnet('10.1.2.3', '99.9.9.9', 0)).toBe(true);
  });
});
