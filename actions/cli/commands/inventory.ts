import { readHostListFile } from '../../lib/inventory/addresses.js';
import { updateInventory, INVENTORY_FILE } from '../../lib/inventory/update.js';
import { loadValidRepository } from '../../lib/vm/load.js';
import type { Command } from '../cli.js';

/**
 * `pve-gitops inventory [--check]`. Without a live cluster the addresses come from the
 * desired state (static IPs from ipconfig0) plus the addresses the existing k8s.ini already
 * lists; DHCP VMs never seen stay commented out. new_hosts.txt is left alone: it records one
 * apply run, which only the apply pipeline knows — or `--new-hosts FILE`: `IP,name` lines, or
 * the output of `pve-gitops apply --json`.
 */
const command: Command = {
  summary:
    'Renders inventory/k8s.ini from vms/ and pve-gitops.yaml; --check exits 1 when it is out of date.',
  usage: 'pve-gitops inventory [--check] [--new-hosts FILE] [--repo DIR]',
  options: {
    check: {
      type: 'boolean',
      description: 'Write nothing; exit 1 when inventory/k8s.ini is out of date.',
    },
    'new-hosts': {
      type: 'string',
      value: 'FILE',
      description: 'Also write inventory/new_hosts.txt from this host list (IP,name lines).',
      complete: 'file',
    },
  },
  examples: [
    ['pve-gitops inventory', 'Regenerate inventory/k8s.ini from vms/ and pve-gitops.yaml.'],
    ['pve-gitops inventory --check', 'Fail in CI when the committed inventory is stale.'],
  ],
  async run(values, _positionals, ctx) {
    const { config, vms } = await loadValidRepository(ctx.repo);
    const check = values.check === true;
    const file = values['new-hosts'];
    const newHosts =
      typeof file === 'string' ? await readHostListFile(file, '--new-hosts') : undefined;
    const r = await updateInventory({
      repoDir: ctx.repo,
      vms,
      config,
      check,
      newHosts,
      log: ctx.log,
    });
    if (check) {
      if (r.changed.length) {
        ctx.log.error(
          `${INVENTORY_FILE} is out of date with vms/ and pve-gitops.yaml; run pve-gitops inventory and commit it.`,
        );
        return 1;
      }
      ctx.out(`${INVENTORY_FILE} is up to date.\n`);
      return 0;
    }
    ctx.out(
      r.changed.length ? `Wrote ${r.changed.join(', ')}.\n` : `${INVENTORY_FILE} unchanged.\n`,
    );
    return 0;
  },
};

export default command;
