// docs/proxmox.md's role commands are the privilege table's: generated blocks that must match
// setupCommands() exactly, so the docs can never drift from what the code needs.
import { describe, expect, it } from 'vitest';
import { rolePrivileges } from '../actions/lib/proxmox/needs.js';
import { setupCommands } from '../actions/lib/proxmox/pveum-commands.js';
import { documentedSetup, proxmoxDocs as docs } from './docs-helpers.js';

describe('docs/proxmox.md', () => {
  it.each([8, 9] as const)('PVE %i: the setup block is the table’s', (major) => {
    expect(documentedSetup(major)).toEqual(setupCommands(major));
  });

  it('names the 8 → 9 change and keeps the unneeded privileges out of every role', () => {
    expect(rolePrivileges(9)).not.toContain('VM.Monitor');
    for (const major of [8, 9] as const)
      expect(documentedSetup(major).join('\n')).not.toMatch(
        /Unrestricted|CDROM|HWType|Sys\.Modify/,
      );
    expect(docs).toContain(
      'pveum role modify PVEGitops --append 1 --privs "VM.GuestAgent.Audit VM.GuestAgent.FileRead"',
    );
  });
});
