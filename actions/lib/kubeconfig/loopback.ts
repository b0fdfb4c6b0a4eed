import { isIP } from 'node:net';

/** 127.0.0.0/8 or ::1: the only addresses simulator mode may reach. */
export function isLoopbackAddress(ip: string): boolean {
  return (isIP(ip) === 4 && ip.startsWith('127.')) || ip === '::1';
}
