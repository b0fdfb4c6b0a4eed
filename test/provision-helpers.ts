// Shared setup for the provisioning suites: loopback addresses, key pairs, a repository with
// an inventory and small playbooks that leave marker files on the simulated VMs.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateKeyPair } from '../sim/hosts/index.js';

/** A random 127.x.y.z, so parallel suites never share an address. */
export function randomLoopback(): string {
  const b = () => 2 + Math.floor(Math.random() * 250);
  return `127.${b()}.${b()}.${b()}`;
}

/** An ed25519 key pair in `dir` (private key file mode 0600). */
export function keyPair(dir: string): { privateKey: string; publicKey: string; file: string } {
  const file = path.join(dir, `id_${Math.random().toString(36).slice(2)}`);
  const publicKey = generateKeyPair(file, 'test');
  return { file, privateKey: readFileSync(file, 'utf8'), publicKey };
}

/** A playbook writing the host's own hostname (its UTS namespace) to /var/lib/rancher/marker. */
export const MARKER_PLAYBOOK = `---
- name: Leave a marker
  hosts: k3s
  gather_facts: false
  tasks:
    - name: Write the hostname to the marker file
      ansible.builtin.shell: hostname > /var/lib/rancher/marker
      changed_when: true
`;

/** Writes inventory/k8s.ini (k3s group) and playbooks into `repo`. */
export function writeRepo(
  repo: string,
  hosts: Array<{ name: string; ip: string; port?: number }>,
  playbooks: Record<string, string> = { 'k8s.yml': MARKER_PLAYBOOK },
): void {
  mkdirSync(path.join(repo, 'inventory'), { recursive: true });
  mkdirSync(path.join(repo, 'playbooks'), { recursive: true });
  const lines = hosts.map(
    (h) =>
      `${h.name} ansible_host=${h.ip} ansible_user=root${h.port ? ` ansible_port=${h.port}` : ''}`,
  );
  writeFileSync(
    path.join(repo, 'inventory', 'k8s.ini'),
    `${lines.join('\n')}\n\n[all:vars]\nansible_python_interpreter=/usr/bin/python3\n\n[k3s]\n${hosts
      .map((h) => h.name)
      .join('\n')}\n`,
  );
  for (const [f, text] of Object.entries(playbooks))
    writeFileSync(path.join(repo, 'playbooks', f), text);
}
