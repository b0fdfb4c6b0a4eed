import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import {
  assertLoopback,
  isLoopbackAddress,
  isLoopbackHost,
  isLoopbackUrl,
  simulatorMode,
} from './loopback.js';

describe('isLoopbackAddress', () => {
  it.each([
    '127.0.0.1',
    '127.0.0.31',
    '127.255.255.254',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.9',
  ])('accepts %s', (ip) => expect(isLoopbackAddress(ip)).toBe(true));
  it.each([
    '192.168.1.50',
    '10.0.0.1',
    '0.0.0.0',
    '128.0.0.1',
    '::',
    '::2',
    '1::1',
    '::ffff:192.168.1.1',
    'localhost',
    '127.0.0.1.example.com',
    '127.1',
    '',
  ])('refuses %s', (ip) => expect(isLoopbackAddress(ip)).toBe(false));
});

describe('isLoopbackHost and isLoopbackUrl', () => {
  it('accept localhost as a host name, and only http(s) URLs to loopback', () => {
    expect(isLoopbackHost('LOCALHOST')).toBe(true);
    expect(isLoopbackHost('pve1')).toBe(false);
    expect(isLoopbackUrl('https://127.0.0.1:8006/api2/json')).toBe(true);
    expect(isLoopbackUrl('http://[::1]:8200')).toBe(true);
    expect(isLoopbackUrl('https://localhost:8006')).toBe(true);
    expect(isLoopbackUrl('https://192.168.1.10:8006')).toBe(false);
    expect(isLoopbackUrl('https://127.0.0.1.nip.io:8006')).toBe(false);
    expect(isLoopbackUrl('ftp://127.0.0.1/')).toBe(false);
    expect(isLoopbackUrl('not a url')).toBe(false);
  });
});

describe('assertLoopback', () => {
  it('throws one sentence naming what and the address, and passes loopback', () => {
    expect(() => assertLoopback('The Proxmox simulator', '127.0.0.1')).not.toThrow();
    const err = (() => {
      try {
        assertLoopback('The Proxmox simulator', '0.0.0.0');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toBe(
      "The Proxmox simulator listens on and connects to loopback only (127.0.0.0/8 or ::1); '0.0.0.0' is not a loopback address.",
    );
  });
});

describe('simulatorMode', () => {
  it.each(['true', 'TRUE', ' yes ', '1'])('is on for PVE_GITOPS_SIMULATOR=%j', (v) => {
    expect(simulatorMode({ PVE_GITOPS_SIMULATOR: v })).toBe(true);
  });
  it.each([undefined, '', 'false', '0', 'no', 'on'])('is off for PVE_GITOPS_SIMULATOR=%j', (v) => {
    expect(simulatorMode({ PVE_GITOPS_SIMULATOR: v })).toBe(false);
  });
});
