import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hostKeys, hostKeyStanding, keyType, knownHostsName } from './known-hosts.js';

/** An SSH public key blob: the type as a length-prefixed string, then `body`. */
function blob(type: string, body: string): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(type.length);
  return Buffer.concat([len, Buffer.from(type, 'latin1'), Buffer.from(body)]);
}

const A = blob('ssh-ed25519', 'key-a');
const B = blob('ssh-ed25519', 'key-b');
const line = (hosts: string, key: Buffer) => `${hosts} ${keyType(key)} ${key.toString('base64')}`;
const hashed = (name: string) => {
  const salt = Buffer.from('0123456789abcdefghij');
  const hash = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${salt.toString('base64')}|${hash}`;
};

describe('known_hosts', () => {
  it('names a host as OpenSSH does: bare on port 22, [host]:port otherwise', () => {
    expect(knownHostsName('10.0.0.1', 22)).toBe('10.0.0.1');
    expect(knownHostsName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });

  it('finds keys by plain, bracketed, wildcard and hashed names', () => {
    const text = [
      '# comment',
      line('10.0.0.1', A),
      line('[10.0.0.1]:2222', B),
      line('*.EXAMPLE', B),
      line(hashed('10.0.0.9'), A),
    ].join('\n');
    expect(hostKeys(text, '10.0.0.1', 22)).toEqual([A]);
    expect(hostKeys(text, '10.0.0.1', 2222)).toEqual([B]);
    expect(hostKeys(text, 'node.example', 22)).toEqual([B]);
    expect(hostKeys(text, '10.0.0.9', 22)).toEqual([A]);
    expect(hostKeys(text, '10.0.0.2', 22)).toEqual([]);
  });

  it('skips marker lines and hosts a negated pattern excludes', () => {
    const text = [line('@revoked 10.0.0.1', A), line('10.0.0.*,!10.0.0.5', B)].join('\n');
    expect(hostKeys(text, '10.0.0.1', 22)).toEqual([B]);
    expect(hostKeys(text, '10.0.0.5', 22)).toEqual([]);
  });

  it('tells a known key from an unknown host and from a changed key', () => {
    const text = line('10.0.0.1', A);
    expect(hostKeyStanding(text, '10.0.0.1', 22, A)).toBe('known');
    expect(hostKeyStanding(text, '10.0.0.1', 22, B)).toBe('changed');
    expect(hostKeyStanding(text, '10.0.0.2', 22, A)).toBe('unknown');
  });
});
