/**
 * The hostile-input corpus: repositories carrying one value that some later step (inventory,
 * Ansible, apply's PVE parameters, provisioning, the Vault path) would refuse, each with the
 * one sentence validate must answer with, at its file and line. Shared by
 * test/hostile-input.test.ts and test/reliability/hostile.cases.ts.
 */

/** One hostile repository and what validate must say about it. */
export interface HostileCase {
  /** Short kebab-case name. */
  name: string;
  /** The class of issue 12 it belongs to. */
  kind:
    | 'inventory-value'
    | 'ansible-name'
    | 'pve-param'
    | 'playbook'
    | 'vault-path'
    | 'address'
    | 'duplicate'
    | 'file-type';
  /** Files written over the base repository (vms/k8s-a.yaml, no pve-gitops.yaml). */
  files: Record<string, string>;
  /** Symbolic links to create: path in the repository → target. */
  symlinks?: Record<string, string>;
  /** FIFOs to create (paths in the repository). */
  fifos?: string[];
  /** The one error validate reports: `file:line:` and a pattern for the sentence. */
  expect: { file: string; line: number; message: RegExp };
}

// `target_node` last, so the lines of the settings under test stay put.
const vm = (name: string, extra = '') => `name: ${name}\n${extra}target_node: pve1\n`;
const cfg = (text: string) => ({ 'pve-gitops.yaml': text });

/** Every hostile case. */
export const HOSTILE_CASES: HostileCase[] = [
  {
    name: 'mount-with-quote',
    kind: 'inventory-value',
    files: { 'vms/k8s-a.yaml': vm('k8s-a', 'disks:\n  scsi1: { size: 1G, mount: "/mnt/a\'b" }\n') },
    expect: {
      file: 'vms/k8s-a.yaml',
      line: 3,
      message: /^`disks\.scsi1\.mount` `\/mnt\/a'b` must be an absolute path of letters/,
    },
  },
  {
    name: 'mount-with-command-substitution',
    kind: 'inventory-value',
    files: {
      'vms/k8s-a.yaml': vm('k8s-a', 'disks:\n  scsi1: { size: 1G, mount: /mnt/$(reboot) }\n'),
    },
    expect: {
      file: 'vms/k8s-a.yaml',
      line: 3,
      message: /`disks\.scsi1\.mount` `\/mnt\/\$\(reboot\)` must be an absolute path/,
    },
  },
  {
    name: 'mount-on-system-directory',
    kind: 'inventory-value',
    files: { 'vms/k8s-a.yaml': vm('k8s-a', 'disks:\n  scsi1: { size: 1G, mount: /etc }\n') },
    expect: { file: 'vms/k8s-a.yaml', line: 3, message: /`\/etc` is the system directory \/etc;/ },
  },
  {
    name: 'mount-inside-system-directory',
    kind: 'inventory-value',
    files: { 'vms/k8s-a.yaml': vm('k8s-a', 'disks:\n  scsi1: { size: 1G, mount: /usr/local }\n') },
    expect: { file: 'vms/k8s-a.yaml', line: 3, message: /is inside the system directory \/usr;/ },
  },
  {
    name: 'mount-not-normalised',
    kind: 'inventory-value',
    files: {
      'vms/k8s-a.yaml': vm('k8s-a', 'disks:\n  scsi1: { size: 1G, mount: /mnt/../boot }\n'),
    },
    expect: { file: 'vms/k8s-a.yaml', line: 3, message: /must be normalised/ },
  },
  {
    name: 'mount-root',
    kind: 'inventory-value',
    files: { 'vms/k8s-a.yaml': vm('k8s-a', 'disks:\n  scsi1: { size: 1G, mount: / }\n') },
    expect: { file: 'vms/k8s-a.yaml', line: 3, message: /`\/` is a system directory/ },
  },
  {
    name: 'k3s-join-url-with-quote-and-substitution',
    kind: 'inventory-value',
    files: {
      'vms/k8s-a.yaml': vm('k8s-a', "k3s:\n  role: agent\n  join: https://x'$(id)\n"),
    },
    expect: {
      file: 'vms/k8s-a.yaml',
      line: 4,
      message: /^`k3s\.join` `https:\/\/x'\$\(id\)` cannot go into inventory\/k8s\.ini/,
    },
  },
  {
    name: 'inventory-var-with-space',
    kind: 'inventory-value',
    files: cfg('inventory:\n  vars:\n    ansible_ssh_common_args: "-o ProxyCommand=nc evil 22"\n'),
    expect: {
      file: 'pve-gitops.yaml',
      line: 3,
      message: /^inventory\.vars\.ansible_ssh_common_args .* cannot go into inventory\/k8s\.ini/,
    },
  },
  {
    name: 'inventory-var-with-template',
    kind: 'inventory-value',
    files: cfg("inventory:\n  vars:\n    x: \"{{lookup('pipe','id')}}\"\n"),
    expect: { file: 'pve-gitops.yaml', line: 3, message: /^inventory\.vars\.x .* cannot go into/ },
  },
  {
    name: 'static-host-ip-with-variables',
    kind: 'inventory-value',
    files: cfg(
      'inventory:\n  static_hosts:\n    - name: nas\n      ip: "10.0.0.9 ansible_connection=local"\n      groups: [storage]\n',
    ),
    expect: {
      file: 'pve-gitops.yaml',
      line: 4,
      message: /^inventory\.static_hosts\[0\]\.ip .* cannot go into/,
    },
  },
  {
    name: 'installer-url-with-quote',
    kind: 'inventory-value',
    files: cfg("k3s:\n  installer_url: https://get.k3s.io/'x\n"),
    expect: { file: 'pve-gitops.yaml', line: 2, message: /^k3s\.installer_url .* cannot go into/ },
  },
  {
    name: 'static-host-name-with-equals',
    kind: 'ansible-name',
    files: cfg(
      'inventory:\n  static_hosts:\n    - { name: ansible_connection=local, ip: 10.0.0.9, groups: [] }\n',
    ),
    expect: {
      file: 'pve-gitops.yaml',
      line: 3,
      message:
        /^inventory\.static_hosts\[0\]\.name `ansible_connection=local` is not an inventory host name/,
    },
  },
  {
    name: 'static-host-name-with-section',
    kind: 'ansible-name',
    files: cfg(
      'inventory:\n  static_hosts:\n    - { name: "x\\n[all:vars]\\nansible_ssh_common_args=-oProxyCommand=id", ip: 10.0.0.9, groups: [] }\n',
    ),
    expect: {
      file: 'pve-gitops.yaml',
      line: 3,
      message: /`x\\u\{000A\}\[all:vars\]\\u\{000A\}ansible_ssh.*is not an inventory host name/,
    },
  },
  {
    name: 'static-host-named-localhost',
    kind: 'ansible-name',
    files: cfg(
      'inventory:\n  static_hosts:\n    - { name: localhost, ip: 10.0.0.9, groups: [] }\n',
    ),
    expect: { file: 'pve-gitops.yaml', line: 3, message: /`localhost` is reserved by Ansible/ },
  },
  {
    name: 'static-host-named-like-a-group',
    kind: 'ansible-name',
    files: cfg('inventory:\n  static_hosts:\n    - { name: haproxy, ip: 10.0.0.9, groups: [] }\n'),
    expect: {
      file: 'pve-gitops.yaml',
      line: 3,
      message: /`haproxy` is also the name of an inventory group/,
    },
  },
  {
    name: 'static-host-group-all',
    kind: 'ansible-name',
    files: cfg('inventory:\n  static_hosts:\n    - { name: nas, ip: 10.0.0.9, groups: [all] }\n'),
    expect: {
      file: 'pve-gitops.yaml',
      line: 3,
      message: /groups\[0\] `all` is reserved by Ansible/,
    },
  },
  {
    name: 'static-host-group-with-bracket',
    kind: 'ansible-name',
    files: cfg(
      'inventory:\n  static_hosts:\n    - { name: nas, ip: 10.0.0.9, groups: ["x]\\n[all:vars"] }\n',
    ),
    expect: {
      file: 'pve-gitops.yaml',
      line: 3,
      message: /groups\[0\] .* is not an Ansible group name/,
    },
  },
  {
    name: 'vm-named-like-a-group',
    kind: 'ansible-name',
    files: { 'vms/haproxy.yaml': vm('haproxy') },
    expect: {
      file: 'vms/haproxy.yaml',
      line: 1,
      message: /^VM name haproxy is also an inventory group in pve-gitops\.yaml/,
    },
  },
  {
    name: 'vm-named-all',
    kind: 'ansible-name',
    files: { 'vms/all.yaml': vm('all') },
    expect: { file: 'vms/all.yaml', line: 1, message: /^VM name all is reserved by Ansible/ },
  },
  {
    name: 'ipconfig0-space-after-comma',
    kind: 'pve-param',
    files: { 'vms/k8s-a.yaml': vm('k8s-a', 'ipconfig0: ip=10.0.0.5/24, gw=10.0.0.1\n') },
    expect: { file: 'vms/k8s-a.yaml', line: 2, message: /^`ipconfig0` has a space in it;/ },
  },
  {
    name: 'nameserver-not-addresses',
    kind: 'pve-param',
    files: { 'vms/k8s-a.yaml': vm('k8s-a', 'nameserver: 10.0.0.1;$(id)\n') },
    expect: {
      file: 'vms/k8s-a.yaml',
      line: 2,
      message: /^`nameserver` .* is not a list of IP addresses/,
    },
  },
  {
    name: 'description-too-long',
    kind: 'pve-param',
    files: { 'vms/k8s-a.yaml': vm('k8s-a', `description: ${'x'.repeat(9000)}\n`) },
    expect: {
      file: 'vms/k8s-a.yaml',
      line: 2,
      message: /^`description` is 9000 characters; Proxmox VE keeps at most 7680/,
    },
  },
  {
    name: 'playbook-field-names-requirements',
    kind: 'playbook',
    files: {
      'vms/k8s-a.yaml': vm('k8s-a', 'playbook: requirements\n'),
      'playbooks/requirements.yml': 'collections:\n  - name: community.general\n',
    },
    expect: {
      file: 'vms/k8s-a.yaml',
      line: 2,
      message: /names playbooks\/requirements\.yml, which is not a list of plays/,
    },
  },
  {
    name: 'vault-path-traversal',
    kind: 'vault-path',
    files: cfg('vault:\n  path: ../../sys/mounts\n'),
    expect: {
      file: 'pve-gitops.yaml',
      line: 2,
      message: /^vault\.path `\.\.\/\.\.\/sys\/mounts` must be plain path segments/,
    },
  },
  {
    name: 'vault-path-query-and-fragment',
    kind: 'vault-path',
    files: cfg("vault:\n  path: 'team/KUBECONFIG?version=1#x'\n"),
    expect: {
      file: 'pve-gitops.yaml',
      line: 2,
      message: /^vault\.path .* must be plain path segments/,
    },
  },
  {
    name: 'vault-key-with-slash',
    kind: 'vault-path',
    files: cfg('vault:\n  key: a/b\n'),
    expect: {
      file: 'pve-gitops.yaml',
      line: 2,
      message: /^vault\.key `a\/b` must be one plain name/,
    },
  },
  {
    name: 'multicast-address',
    kind: 'address',
    files: { 'vms/k8s-a.yaml': vm('k8s-a', 'ipconfig0: ip=224.0.0.5/24\n') },
    expect: { file: 'vms/k8s-a.yaml', line: 2, message: /which is a multicast address\.$/ },
  },
  {
    name: 'broadcast-address',
    kind: 'address',
    files: { 'vms/k8s-a.yaml': vm('k8s-a', 'ipconfig0: ip=255.255.255.255/32\n') },
    expect: { file: 'vms/k8s-a.yaml', line: 2, message: /which is the broadcast address\.$/ },
  },
  {
    name: 'all-zero-address',
    kind: 'address',
    files: { 'vms/k8s-a.yaml': vm('k8s-a', 'ipconfig0: ip=0.0.0.0/24\n') },
    expect: { file: 'vms/k8s-a.yaml', line: 2, message: /all-zero address/ },
  },
  {
    name: 'address-is-another-vms-gateway',
    kind: 'address',
    files: {
      'vms/k8s-a.yaml': vm('k8s-a', 'ipconfig0: ip=10.0.0.5/24,gw=10.0.0.1\n'),
      'vms/k8s-b.yaml': vm('k8s-b', 'ipconfig0: ip=10.0.0.1/24\n'),
    },
    expect: {
      file: 'vms/k8s-b.yaml',
      line: 2,
      message: /^Static IP 10\.0\.0\.1 is the gateway of vms\/k8s-a\.yaml:2;/,
    },
  },
  {
    name: 'all-zero-mac',
    kind: 'address',
    files: { 'vms/k8s-a.yaml': vm('k8s-a', 'network:\n  mac: "00:00:00:00:00:00"\n') },
    expect: {
      file: 'vms/k8s-a.yaml',
      line: 3,
      message: /^`network\.mac` 00:00:00:00:00:00 is all zeros/,
    },
  },
  {
    name: 'symlink-to-passwd',
    kind: 'file-type',
    files: {},
    symlinks: { 'vms/k8s-b.yaml': '/etc/passwd' },
    expect: {
      file: 'vms/k8s-b.yaml',
      line: 1,
      message: /^This is a symbolic link, which is never read;/,
    },
  },
  {
    name: 'symlink-to-environ',
    kind: 'file-type',
    files: {},
    symlinks: { 'vms/k8s-b.yaml': '/proc/self/environ' },
    expect: { file: 'vms/k8s-b.yaml', line: 1, message: /^This is a symbolic link/ },
  },
  {
    name: 'fifo',
    kind: 'file-type',
    files: {},
    fifos: ['vms/k8s-b.yaml'],
    expect: { file: 'vms/k8s-b.yaml', line: 1, message: /^This is not a regular file/ },
  },
];
