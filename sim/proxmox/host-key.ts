import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** An SSH host key pair as a VM keeps it in /etc/ssh: OpenSSH private key and `.pub` line. */
export interface HostKeyPair {
  /** `-----BEGIN OPENSSH PRIVATE KEY-----…`, what sshd's HostKey file holds. */
  privateKey: string;
  /** `ssh-ed25519 AAAA… root@name`, the content of ssh_host_ed25519_key.pub. */
  publicKey: string;
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const str = (s: Buffer | string) => {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([u32(b.length), b]);
};

/**
 * A fresh ed25519 host key in OpenSSH's own formats (openssh-key-v1, unencrypted), as
 * cloud-init's first boot writes it; no ssh-keygen needed.
 */
export function generateHostKey(comment: string): HostKeyPair {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const pub = Buffer.from(jwk.x!, 'base64url');
  const seed = Buffer.from(jwk.d!, 'base64url');
  const pubBlob = Buffer.concat([str('ssh-ed25519'), str(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([
    check,
    check,
    str('ssh-ed25519'),
    str(pub),
    str(Buffer.concat([seed, pub])),
    str(comment),
  ]);
  const pad = Buffer.from(Array.from({ length: (8 - (priv.length % 8)) % 8 }, (_, i) => i + 1));
  priv = Buffer.concat([priv, pad]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    str('none'),
    str('none'),
    str(''),
    u32(1),
    str(pubBlob),
    str(priv),
  ]).toString('base64');
  const lines = body.match(/.{1,70}/g) ?? [];
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
    publicKey: `ssh-ed25519 ${pubBlob.toString('base64')} ${comment}`,
  };
}
