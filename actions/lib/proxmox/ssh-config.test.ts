import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { redact } from '../secrets.js';
import { sshConfigFromEnv } from './config.js';

describe('sshConfigFromEnv', () => {
  it('masks each line of PROXMOX_SSH_KEY, not only the whole key', () => {
    const body = [
      'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ',
      'AAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACBx',
    ];
    const key = `-----BEGIN OPENSSH PRIVATE KEY-----\n${body.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
    sshConfigFromEnv({ PROXMOX_SSH_USER: 'root', PROXMOX_SSH_KEY: key }, 'pve1');
    expect(redact(`ssh said: ${body[1]}`)).toBe('ssh said: ***');
  });

  it('refuses a key file others can read, as ssh does, and reads a private one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pve-ssh-key-'));
    try {
      const file = path.join(dir, 'id');
      writeFileSync(
        file,
        '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
      );
      chmodSync(file, 0o644);
      const env = { PROXMOX_SSH_USER: 'root', PROXMOX_SSH_KEY: file };
      expect(() => sshConfigFromEnv(env, 'pve1')).toThrow(
        `The SSH key file ${file} (PROXMOX_SSH_KEY) is readable by others (mode 0644)`,
      );
      chmodSync(file, 0o600);
      expect(sshConfigFromEnv(env, 'pve1')?.privateKey).toContain('BEGIN OPENSSH PRIVATE KEY');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
