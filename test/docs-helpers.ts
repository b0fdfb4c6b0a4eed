// What docs/proxmox.md tells a user to type, for tests that type it into the simulator.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** docs/proxmox.md as committed. */
export const proxmoxDocs = readFileSync(
  path.resolve(import.meta.dirname, '../docs/proxmox.md'),
  'utf8',
);

/** The command lines of the generated `pveum-setup:<major>` block in docs/proxmox.md. */
export function documentedSetup(major: 8 | 9): string[] {
  const at = proxmoxDocs.indexOf(`<!-- pveum-setup:${major} `);
  if (at < 0) throw new Error(`docs/proxmox.md has no pveum-setup:${major} block`);
  const block = /```sh\n([\s\S]*?)```/.exec(proxmoxDocs.slice(at));
  if (!block) throw new Error(`docs/proxmox.md: no sh block after pveum-setup:${major}`);
  return block[1].trim().split('\n');
}
