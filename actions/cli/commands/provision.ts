import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError, UsageError } from '../../lib/errors.js';
import { repoResolver } from '../../lib/gitops/resolve-tags.js';
import { resolveTag, TAG_NAME, type PlaybookRun } from '../../lib/gitops/tags.js';
import { readHostListFile } from '../../lib/inventory/addresses.js';
import { NEW_HOSTS_FILE } from '../../lib/inventory/update.js';
import { sshKeyFromEnv } from '../../lib/ssh/key-file.js';
import { provision } from '../../lib/provision/provision.js';
import { connectIfConfigured } from '../../lib/reconcile/connect.js';
import { registerSecret } from '../../lib/secrets.js';
import type { Command } from '../cli.js';
import { simulatorMode } from '../../lib/net/loopback.js';

/**
 * `pve-gitops provision [--playbook NAME] [--hosts FILE]`: runs a tag's playbook and/or the
 * default playbook of the hosts in FILE (IP,name lines). With neither, the hosts of
 * inventory/new_hosts.txt. The key is SSH_PRIVATE_KEY when set, else the file
 * SSH_PRIVATE_KEY_FILE (mode 0600), else ssh's own identities; K3S_TOKEN passes to Ansible's
 * environment; PVE_GITOPS_SIMULATOR=true (or --simulator) refuses every target that is not
 * loopback. With PROXMOX_URL set, hosts known_hosts lacks get their keys read through the
 * guest agent (or are refused by name).
 */
const command: Command = {
  summary: 'Runs ansible-playbook for a tag (--playbook) and/or new hosts, limited to them.',
  usage:
    'pve-gitops provision [--playbook NAME] [--hosts FILE] [--known-hosts FILE] [--trust-on-first-use] [--simulator] [--repo DIR]',
  details:
    "With neither --playbook nor --hosts, provisions the hosts of inventory/new_hosts.txt. The SSH key is SSH_PRIVATE_KEY, else the file SSH_PRIVATE_KEY_FILE, else ssh's own identities.",
  options: {
    playbook: {
      type: 'string',
      value: 'NAME',
      description: 'Run this playbook (or the playbook of this VM), as an [ansible NAME] tag does.',
    },
    hosts: {
      type: 'string',
      value: 'FILE',
      description: "Run each host's default playbook on the hosts of FILE (IP,name lines).",
      complete: 'file',
    },
    'known-hosts': {
      type: 'string',
      value: 'FILE',
      description: "known_hosts holding the hosts' keys (apply --json prints them).",
      complete: 'file',
    },
    'trust-on-first-use': {
      type: 'boolean',
      description: 'Accept unknown host keys (a changed key is always refused).',
    },
    simulator: {
      type: 'boolean',
      description: 'Refuse every target that is not loopback (also PVE_GITOPS_SIMULATOR=true).',
    },
  },
  examples: [
    ['pve-gitops provision', 'Provision the new hosts apply listed in inventory/new_hosts.txt.'],
    [
      'pve-gitops provision --playbook haproxy',
      'Run playbooks/haproxy.yml, as [ansible haproxy] does.',
    ],
  ],
  async run(values, _positionals, ctx) {
    const runs: PlaybookRun[] = [];
    if (typeof values.playbook === 'string') {
      const name = values.playbook;
      if (!TAG_NAME.test(name) || name.includes('..'))
        throw new UsageError(
          `--playbook '${name.slice(0, 60)}' is not a playbook or VM name (lower-case letters, digits, '.', '_', '-').`,
        );
      const r = resolveTag(name, repoResolver(ctx.repo));
      if (typeof r === 'string') throw new ConfigurationError(`${r}.`);
      runs.push(r);
    }
    let hostsFile = typeof values.hosts === 'string' ? path.resolve(values.hosts) : undefined;
    if (!hostsFile && !runs.length) {
      hostsFile = path.join(ctx.repo, NEW_HOSTS_FILE);
      if (!existsSync(hostsFile)) {
        ctx.log.info(`Nothing to provision: no --playbook, no --hosts and no ${NEW_HOSTS_FILE}.`);
        return 0;
      }
    }
    const newHosts = hostsFile
      ? (await readHostListFile(hostsFile, '--hosts')).map(({ name, ip }) => ({ name, ip }))
      : [];
    const key = sshKeyFromEnv(ctx.env);
    const token = ctx.env.K3S_TOKEN;
    registerSecret(token);
    const proxmox = await connectIfConfigured(ctx.env, ctx.log);
    try {
      const r = await provision({
        repoDir: ctx.repo,
        runs,
        newHosts,
        sshPrivateKey: key?.key,
        keySource: key?.source,
        knownHostsFile:
          typeof values['known-hosts'] === 'string'
            ? path.resolve(values['known-hosts'])
            : undefined,
        trustOnFirstUse: values['trust-on-first-use'] === true,
        simulator: values.simulator === true || simulatorMode(ctx.env),
        extraEnv: token ? { K3S_TOKEN: token } : {},
        proxmox,
        log: ctx.log,
      });
      ctx.out(r.provisioned.map((h) => `${h}\n`).join(''));
      return 0;
    } finally {
      await proxmox?.close();
    }
  },
};
export default command;
