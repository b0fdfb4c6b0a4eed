import { isIP } from 'node:net';
import { ConfigurationError } from '../errors.js';

/**
 * Loopback checks shared by every simulator, test host and simulator-mode target: nothing here
 * may send traffic off this machine (DESIGN.md), so one definition decides what "loopback" is.
 */

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms (::ffff:127.x.y.z); brackets allowed. */
export function isLoopbackAddress(ip: string): boolean {
  const h = ip.replace(/^\[(.*)\]$/, '$1');
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) !== 6) return false;
  // The URL parser writes IPv6 in its shortest form: ::1, or ::ffff:7f00:1 for 127.0.0.1.
  const canonical = new URL(`http://[${h}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(canonical);
  return canonical === '::1' || (mapped !== null && parseInt(mapped[1], 16) >> 8 === 127);
}

/** A loopback address, or the name `localhost` (which Linux resolves to loopback only). */
export function isLoopbackHost(host: string): boolean {
  return host.toLowerCase() === 'localhost' || isLoopbackAddress(host);
}

/** True when `url` is http(s) to a loopback host; false for anything unparsable. */
export function isLoopbackUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && isLoopbackHost(u.hostname);
  } catch {
    return false;
  }
}

/**
 * Throws a ConfigurationError naming `what` (e.g. "The Proxmox simulator") unless `host` is a
 * loopback address or `localhost`.
 */
export function assertLoopback(what: string, host: string): void {
  if (!isLoopbackHost(host)) {
    throw new ConfigurationError(
      `${what} listens on and connects to loopback only (127.0.0.0/8 or ::1); '${host}' is not a loopback address.`,
    );
  }
}

/**
 * Simulator mode, from PVE_GITOPS_SIMULATOR (1/true/yes, any case): every target must then be
 * loopback. One reading for the CLI and the actions alike.
 */
export function simulatorMode(env: NodeJS.ProcessEnv): boolean {
  return /^(1|true|yes)$/i.test((env.PVE_GITOPS_SIMULATOR ?? '').trim());
}
