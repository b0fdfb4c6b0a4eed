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
});
