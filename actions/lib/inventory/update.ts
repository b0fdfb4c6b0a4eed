import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeOutputFile } from '../fs/output-file.js';
import type { Logger } from '../log.js';
import { knownAddresses } from './addresses.js';
import { renderInventory, type HostAddress, type InventoryInput, type RenderedInventory } from './render.js';

/** Repository-relative paths of the generated files. */
export const INVENTORY_FILE = 'inventory/k8s.ini';
export const NEW_HOSTS_FILE = 'inventory/new_hosts.txt';

async function readOrNull(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Writes `content` only when it differs from what is there (so mtimes and `git status` stay
 * quiet), through a temporary file and a rename so a reader never sees half a file.
 * Returns whether the file changed.
 */
export async function writeIfChanged(file: string, content: string): Promise<boolean> {
  if ((await readOrNull(file)) === content) return false;
  // The repository's own inventory/ folder may be created; a symlink there is refused.
  await writeOutputFile(file, content, {
    what: 'The generated file',
    mode: 0o644,
    createParents: true,
  });
  return true;
}

export interface UpdateInventoryOptions {
  repoDir: string;
  vms: InventoryInput['vms'];
  config: InventoryInput['config'];
  /** Hosts created or recreated in this run, with their addresses. Absent = not known (CLI). */
  newHosts?: readonly HostAddress[];
  /** Compare only; write nothing. */
  check?: boolean;
  log?: Logger;
}

export interface UpdateInventoryResult {
  rendered: RenderedInventory;
  /** Repository-relative paths whose content differs (check) or was rewritten. */
  changed: string[];
}

/**
 * Renders the inventory from the desired VMs, this run's new hosts and the addresses the
 * existing `k8s.ini` already knew, then writes the files that changed (or, with `check`,
 * only reports them). `new_hosts.txt` is a record of one run: it is written only when
 * `newHosts` is given, and never compared by `check`.
 */
export async function updateInventory(opts: UpdateInventoryOptions): Promise<UpdateInventoryResult> {
  const iniPath = path.join(opts.repoDir, INVENTORY_FILE);
  const current = await readOrNull(iniPath);
  const addresses = [...(opts.newHosts ?? []), ...knownAddresses(current ?? '')];
  const rendered = renderInventory({ vms: opts.vms, config: opts.config, addresses });
  for (const w of rendered.warnings) opts.log?.warn(w);

  const changed: string[] = [];
  if (opts.check) {
    if (current !== rendered.ini) changed.push(INVENTORY_FILE);
    return { rendered, changed };
  }
  if (await writeIfChanged(iniPath, rendered.ini)) changed.push(INVENTORY_FILE);
  if (opts.newHosts) {
    const file = path.join(opts.repoDir, NEW_HOSTS_FILE);
    if (await writeIfChanged(file, rendered.newHosts)) changed.push(NEW_HOSTS_FILE);
  }
  return { rendered, changed };
}
