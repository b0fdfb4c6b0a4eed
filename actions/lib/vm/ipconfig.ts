import { isIPv6 } from 'node:net';
import { subnetEdgeProblem, unicastProblem } from './addresses.js';

/** An address with its prefix length, as written in `ip=` or `ip6=`. */
export interface Cidr {
  address: string;
  prefix: number;
}

/** `ipconfig0` taken apart: `ip=<CIDR>|dhcp[,gw=…][,ip6=auto|dhcp|<CIDR>][,gw6=…]`. */
export interface IpConfig {
  ip?: Cidr | 'dhcp';
  gw?: string;
  ip6?: Cidr | 'auto' | 'dhcp';
  gw6?: string;
}

export type IpConfigResult = { ok: true; value: IpConfig } | { ok: false; error: string };

/** The 32-bit value of a dotted IPv4 address, or undefined when it is not one (no leading zeros). */
export function ipv4ToInt(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function parseCidr4(text: string): Cidr | undefined {
  const m = /^([^/]+)\/([0-9]{1,2})$/.exec(text);
  if (!m || ipv4ToInt(m[1]) === undefined || Number(m[2]) > 32) return undefined;
  return { address: m[1], prefix: Number(m[2]) };
}

function parseCidr6(text: string): Cidr | undefined {
  const m = /^([^/]+)\/([0-9]{1,3})$/.exec(text);
  if (!m || !isIPv6(m[1]) || Number(m[2]) > 128) return undefined;
  return { address: m[1], prefix: Number(m[2]) };
}

/** Whether two IPv4 addresses share the first `prefix` bits. */
export function sameSubnet(a: string, b: string, prefix: number): boolean {
  const x = ipv4ToInt(a);
  const y = ipv4ToInt(b);
  if (x === undefined || y === undefined) return false;
  const size = 2 ** (32 - prefix);
  return Math.floor(x / size) === Math.floor(y / size);
}

/** Parses and checks an `ipconfig0` value; the error is a phrase for "ipconfig0 …". */
export function parseIpConfig(text: string): IpConfigResult {
  // The rules, the cross-file checks and normalisation each ask for the same value.
  const cached = parsedIpConfigs.get(text);
  if (cached) return cached;
  const result = parseIpConfigOnce(text);
  if (parsedIpConfigs.size >= MAX_CACHED) parsedIpConfigs.clear();
  parsedIpConfigs.set(text, result);
  return result;
}

const MAX_CACHED = 100_000;
const parsedIpConfigs = new Map<string, IpConfigResult>();

function parseIpConfigOnce(text: string): IpConfigResult {
  const value: IpConfig = {};
  const bad = (error: string): IpConfigResult => ({ ok: false, error });
  // PVE splits on ',' and reads each part as key=value as it stands (pve-common's
  // parse_property_string): ` gw` is an unknown key there, so a space is refused here too.
  if (/\s/.test(text))
    return bad(
      'has a space in it; write the parts joined by commas only, like ip=10.0.0.5/24,gw=10.0.0.1',
    );
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const val = eq < 0 ? '' : part.slice(eq + 1);
    if (!['ip', 'gw', 'ip6', 'gw6'].includes(key)) {
      return bad(
        `has an unknown part \`${part.trim() || '(empty)'}\`; use ip=<CIDR>|dhcp, gw=, ip6=auto|dhcp|<CIDR> and gw6=, separated by commas`,
      );
    }
    if (key in value) return bad(`sets \`${key}\` twice`);
    if (!val) return bad(`has no value after \`${key}=\``);
    switch (key) {
      case 'ip': {
        const cidr = val === 'dhcp' ? 'dhcp' : parseCidr4(val);
        if (!cidr)
          return bad(
            `has ip=${val}, which is neither dhcp nor an IPv4 address with prefix like 192.168.1.50/24`,
          );
        value.ip = cidr;
        break;
      }
      case 'gw':
        if (ipv4ToInt(val) === undefined) return bad(`has gw=${val}, which is not an IPv4 address`);
        value.gw = val;
        break;
      case 'ip6': {
        const cidr = val === 'auto' || val === 'dhcp' ? val : parseCidr6(val);
        if (!cidr)
          return bad(
            `has ip6=${val}, which is neither auto, dhcp nor an IPv6 address with prefix like 2001:db8::5/64`,
          );
        value.ip6 = cidr;
        break;
      }
      case 'gw6':
        if (!isIPv6(val)) return bad(`has gw6=${val}, which is not an IPv6 address`);
        value.gw6 = val;
        break;
    }
  }
  return checkIpConfig(value);
}

function checkIpConfig(value: IpConfig): IpConfigResult {
  const { ip, gw } = value;
  if (gw !== undefined && (ip === undefined || ip === 'dhcp')) {
    return {
      ok: false,
      error: `sets gw=${gw} without a static ip=; a gateway only goes with a static address`,
    };
  }
  if (value.gw6 !== undefined && (value.ip6 === undefined || typeof value.ip6 === 'string')) {
    return {
      ok: false,
      error: `sets gw6=${value.gw6} without a static ip6=; a gateway only goes with a static address`,
    };
  }
  if (ip && ip !== 'dhcp') {
    const n = ipv4ToInt(ip.address)!;
    const why = unicastProblem(n) ?? subnetEdgeProblem(n, ip.prefix);
    if (why) return { ok: false, error: `has ip=${ip.address}/${ip.prefix}, which is ${why}` };
    if (gw !== undefined) {
      if (!sameSubnet(ip.address, gw, ip.prefix)) {
        return {
          ok: false,
          error: `has gateway ${gw} outside the subnet of ${ip.address}/${ip.prefix}`,
        };
      }
      if (gw === ip.address)
        return { ok: false, error: `has gateway ${gw} equal to the VM's own address` };
      const g = ipv4ToInt(gw)!;
      const gwWhy = unicastProblem(g) ?? subnetEdgeProblem(g, ip.prefix);
      if (gwWhy) return { ok: false, error: `has gateway ${gw}, which is ${gwWhy}` };
    }
  }
  return { ok: true, value };
}
