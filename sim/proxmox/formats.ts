import type { ParamSchema } from './schema.js';

type FormatCheck = (v: string) => string | undefined;
const label = '[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?';
const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const isIpv4 = (v: string) => ipv4.test(v) && v.split('.').every((o) => Number(o) <= 255);
const isIpv6 = (v: string) => /^[0-9a-fA-F:.]+$/.test(v) && v.includes(':');
const cidr = (v: string, ip: (a: string) => boolean, max: number) => {
  const [a, p, extra] = v.split('/');
  return (
    extra === undefined && !!a && ip(a) && p !== undefined && /^\d+$/.test(p) && Number(p) <= max
  );
};

/** Named string formats of PVE's JSONSchema; message as PVE words it, without the prefix. */
const formats: Record<string, FormatCheck> = {
  'pve-node': (v) =>
    new RegExp(`^${label}$`).test(v) ? undefined : `value does not look like a valid node name`,
  'pve-storage-id': (v) =>
    /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(v)
      ? undefined
      : `storage ID '${v}' contains illegal characters`,
  'pve-bridge-id': (v) =>
    /^[-_.\w\d]+$/.test(v) ? undefined : `invalid format - '${v}' is not a valid bridge name`,
  'dns-name': (v) =>
    new RegExp(`^(${label}\\.)*${label}$`).test(v)
      ? undefined
      : `invalid format - value does not look like a valid DNS name`,
  urlencoded: (v) =>
    /^[-%a-zA-Z0-9_.!~*'()]*$/.test(v) ? undefined : 'invalid format - invalid urlencoded string',
  'pve-configid': (v) =>
    /^[a-z][a-z0-9_-]+$/i.test(v) ? undefined : `invalid format - invalid configuration ID '${v}'`,
  'pve-configid-list': (v) =>
    // Each element is checked as a pve-configid (hyphens allowed: `delete=allow-ksm`).
    v.split(/[,;\s]+/).every((x) => x === '' || /^[a-z][a-z0-9_-]+$/i.test(x))
      ? undefined
      : `invalid format - invalid configuration ID list`,
  'pve-tag-list': (v) =>
    v.split(/[,; ]+/).every((t) => t === '' || /^[a-z0-9_][a-z0-9_\-+.]*$/i.test(t))
      ? undefined
      : `invalid format - invalid tag list`,
  'mac-addr': (v) =>
    /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(v)
      ? undefined
      : `invalid format - value does not look like a valid MAC address`,
  'pve-poolid': (v) =>
    /^[A-Za-z0-9_\-/]+$/.test(v) ? undefined : `invalid format - invalid pool ID '${v}'`,
  ipv4: (v) =>
    isIpv4(v) ? undefined : `invalid format - value does not look like a valid IPv4 address`,
  'pve-ipv4-config': (v) =>
    v === 'dhcp' || cidr(v, isIpv4, 32) ? undefined : `invalid format - invalid IPv4 config '${v}'`,
  'pve-ipv6-config': (v) =>
    v === 'dhcp' || v === 'auto' || cidr(v, isIpv6, 128)
      ? undefined
      : `invalid format - invalid IPv6 config '${v}'`,
  'pve-qm-ipconfig': (v) => {
    for (const part of v.split(',')) {
      const [k, val = ''] = part.split('=', 2);
      const bad =
        k === 'ip'
          ? formats['pve-ipv4-config'](val)
          : k === 'ip6'
            ? formats['pve-ipv6-config'](val)
            : k === 'gw'
              ? isIpv4(val)
                ? undefined
                : `invalid format - gw: invalid IPv4 address '${val}'`
              : k === 'gw6'
                ? isIpv6(val)
                  ? undefined
                  : `invalid format - gw6: invalid IPv6 address '${val}'`
                : `invalid format - format error\n${k}: property is not defined in schema and the schema does not allow additional properties`;
      if (bad) return bad;
    }
    return undefined;
  },
};

/** Throws PVE's message when `value` does not match the named format; unknown formats pass. */
export function checkFormat(name: string, value: string): void {
  const msg = formats[name]?.(value);
  if (msg) throw new Error(msg);
}

/**
 * Checks a property string (`virtio=AA:..,bridge=vmbr0`) against its format object: keys
 * must exist, `default_key` may stand alone, `keyAlias` keys (`virtio=MAC`) name the model.
 */
export function checkPropertyString(
  format: Record<string, ParamSchema & { alias?: string; keyAlias?: string; default_key?: number }>,
  value: string,
  checkValue: (s: ParamSchema, raw: unknown) => unknown,
): void {
  const defaultKey = Object.entries(format).find(([, s]) => s.default_key)?.[0];
  const seen = new Set<string>();
  for (const part of value.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    let key = eq < 0 ? defaultKey : part.slice(0, eq);
    const val = eq < 0 ? part : part.slice(eq + 1);
    if (!key)
      throw new Error(
        `invalid format - format error\nvalue without key, but schema does not define a default key`,
      );
    const s = format[key];
    if (!s)
      throw new Error(
        `invalid format - format error\n${key}: property is not defined in schema and the schema does not allow additional properties`,
      );
    if (s.keyAlias) seen.add(s.keyAlias);
    if (s.alias) key = s.alias;
    if (seen.has(key))
      throw new Error(
        `invalid format - format error\n${key}: duplicate key in comma-separated list property`,
      );
    seen.add(key);
    const target = format[key];
    if (!target || s.keyAlias) continue;
    try {
      checkValue(target, val);
    } catch (err) {
      throw new Error(`invalid format - format error\n${key}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  for (const [k, s] of Object.entries(format)) {
    if (!s.optional && !s.alias && !s.keyAlias && s.type && !seen.has(k) && s.default === undefined)
      throw new Error(
        `invalid format - format error\n${k}: property is missing and it is not optional`,
      );
  }
}
